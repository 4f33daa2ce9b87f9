// Live updates of an open chat: which events of the socket concern it.
import { EventType, isConversationEvent } from "../events.js";

// chatEvents returns the ctx.onevent of chat cid: a new message is added
// (on.created(m)), a deletion reloads the latest page (on.deleted()), new
// reaction counts go to on.reactions(d), a change to the conversation
// reloads it (on.changed()).
export function chatEvents(cid, on) {
  return (ev) => {
    const d = ev.data || {};
    const m = d.message || d;
    if (ev.type === EventType.messageCreated && m.conversation_id === cid) on.created(m);
    else if (ev.type === EventType.messageDeleted && (m.conversation_id === cid || d.conversation_id === cid)) on.deleted();
    else if (ev.type === EventType.messageReactions && d.conversation_id === cid) on.reactions(d);
    // A read changes only the marker (chat/unread.js), not the chat.
    else if (isConversationEvent(ev) && ev.type !== EventType.convRead) {
      const c = d.conversation || d;
      if (c.id === cid || d.conversation_id === cid) on.changed();
    }
  };
}

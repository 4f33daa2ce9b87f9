// Reading an open chat (docs/chat.md "Unread messages"): it opens at the
// first message the reader has not read (or the newest), and messages are
// marked read as they come into view while the tab is visible. Only a
// member has a marker; a parent reading their child's chat moves nothing.
import { api } from "../api.js";
import { EventType } from "../events.js";
import { t } from "../i18n.js";

// readTracker follows chat.convo's marker for the message list (each item
// carries data-id and data-sender).
export function readTracker(chat, list) {
  let marker = 0;   // the last id marked read (here or on another device)
  let sending = 0;  // the id being posted, so a burst posts once
  let timer = 0;
  const member = () => chat.convo && !chat.convo.read_only;
  const items = () => [...list.querySelectorAll("li[data-id]")];

  // seenUpTo is the newest message wholly or partly in the list's view.
  // (The list scrolls on its own, but the page may scroll it away too.)
  function seenUpTo() {
    const box = list.getBoundingClientRect();
    const top = Math.max(box.top, 0), bottom = Math.min(box.bottom, window.innerHeight);
    let max = 0;
    for (const li of items()) {
      const r = li.getBoundingClientRect();
      if (r.bottom > top && r.top < bottom && r.height > 0) max = Math.max(max, Number(li.dataset.id));
    }
    return max;
  }

  async function mark() {
    const id = seenUpTo();
    if (!member() || document.hidden || id <= marker || id <= sending) return;
    sending = id;
    try {
      const st = await api("POST", `/conversations/${chat.cid}/read`, { message_id: id });
      marker = Math.max(marker, st.last_read_message_id || 0);
    } catch { /* a message deleted meanwhile, a session ended: the next look tries again */ }
    sending = 0;
  }
  const soon = () => { clearTimeout(timer); timer = setTimeout(mark, 250); };

  list.addEventListener("scroll", soon, { passive: true });
  window.addEventListener("scroll", soon, { passive: true });
  new MutationObserver(soon).observe(list, { childList: true });
  const onVisible = () => { if (!document.hidden) soon(); };
  document.addEventListener("visibilitychange", onVisible);

  return {
    // opened scrolls to the first unread message, once the conversation
    // and its latest page are loaded.
    opened() {
      marker = Math.max(marker, chat.convo.last_read_message_id || 0);
      if (!member()) return;
      const first = items().find(li => Number(li.dataset.id) > marker && Number(li.dataset.sender) !== chat.me.id);
      if (!first) return;
      first.classList.add("first-unread");
      first.dataset.newLabel = t("chat.new"); // style.css shows it
      // Only the list scrolls (the page keeps its header in view), to
      // the first unread with a little of what came before above it.
      list.scrollTop += first.getBoundingClientRect().top - list.getBoundingClientRect().top - 48;
      soon();
    },
    // onevent takes another tab's or device's read of this chat.
    onevent(ev) {
      const d = ev.data || {};
      if (ev.type === EventType.convRead && d.conversation_id === chat.cid) marker = Math.max(marker, d.last_read_message_id || 0);
    },
    stop() {
      clearTimeout(timer);
      document.removeEventListener("visibilitychange", onVisible);
      window.removeEventListener("scroll", soon);
    },
  };
}

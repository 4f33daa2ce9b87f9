// Sleep mode in a chat (child only): while asleep the composer gives way
// to the sleep screen, except in the direct chat with their own parent,
// which the schedule may allow; a send refused there (423) shows it too.
import { h, replace } from "../dom.js";
import { icon } from "../ui.js";
import { sleepWatch, sleepScreen } from "../sleep.js";
import { t } from "../i18n.js";

// withParent: the chat is the child's direct chat with their parent.
function withParent({ convo, me }) {
  return !!convo && !convo.is_group && convo.members.length === 2 &&
    convo.members.some(m => m.user_id === me.parent_id);
}

// chatSleep is the slot above the composer. draw(st) follows the sleep
// state st (and hides chat.composer while the quiet time holds);
// refused(e) takes a send refused with 423 sleep_mode.
export function chatSleep(chat) {
  const el = h("div");
  let refusal = null; // the 423 of this chat while it holds

  function draw(st) {
    if (!chat.isChild || !chat.convo) return;
    if (!st.asleep) refusal = null;
    const hold = st.asleep && (!withParent(chat) || refusal);
    if (chat.composer) chat.composer.hidden = !!hold;
    if (hold) {
      replace(el, sleepScreen(st, { compact: true, message: refusal ? refusal.message : "" }));
    } else if (st.asleep) {
      replace(el, h("p", { class: "banner night", role: "status" }, icon("moon"),
        t("chat.quiet")));
    } else {
      replace(el);
    }
  }

  function refused(e) {
    refusal = e;
    sleepWatch.refused(e);
    draw(sleepWatch.state);
    el.scrollIntoView({ block: "nearest" });
  }

  if (chat.isChild) {
    const unsub = sleepWatch.subscribe(draw);
    const prev = chat.ctx.cleanup;
    chat.ctx.cleanup = () => { unsub(); if (prev) prev(); };
  }
  return { el, draw: () => draw(sleepWatch.state), refused };
}

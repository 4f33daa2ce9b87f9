// Writing in a chat: the message box (Enter sends, Shift+Enter a new
// line), the leak guard's refusal right above it, the photo and voice
// tools, all disabled while the chat is paused. A parent reading their
// child's chat, and anyone who is no member, gets no composer.
import { h, replace, uid } from "../dom.js";
import { field, form } from "../forms.js";
import { icon } from "../ui.js";
import { mediaTools } from "./media.js";
import { t } from "../i18n.js";

// composerArea is the bottom of chat: the sleep slot and the composer.
// draw(frozenBanner) shows, hides or updates them after chat.convo
// changed; send(body) sends a message; sleep is the chat's chatSleep.
export function composerArea(chat, { send, sleep }) {
  const el = h("div");
  return {
    el,
    draw(frozenBanner) {
      const { convo, me } = chat;
      if (convo.read_only || me.role !== "CHILD" && !convo.members.some(m => m.user_id === me.id)) {
        replace(el);
        chat.composer = null;
        return;
      }
      if (!chat.composer) {
        chat.composer = composer({ send, refused: sleep.refused });
        replace(el, sleep.el, chat.composer);
      }
      chat.composer.setFrozen(convo.frozen, frozenBanner);
      sleep.draw();
    },
  };
}

// leakAlert is the yellow box saying the leak guard stopped the message;
// show(e) fills it and points the box's aria-describedby at it, clear()
// takes it away.
function leakAlert(text) {
  const el = h("div", { class: "leak", role: "alert", id: uid("leak") });
  el.hidden = true;
  return {
    el,
    clear() {
      el.hidden = true;
      el.replaceChildren();
      text.input.removeAttribute("aria-invalid");
      text.input.setAttribute("aria-describedby", text.err.id);
    },
    // The words stay only in the box, for the child to take the password
    // out; nothing of them is stored anywhere.
    show(e) {
      el.replaceChildren(icon("shield"), h("strong", {}, t("chat.not_sent")), e.message);
      el.hidden = false;
      text.input.setAttribute("aria-invalid", "true");
      text.input.setAttribute("aria-describedby", el.id + " " + text.err.id);
      text.input.focus();
    },
  };
}

// composer is the form that sends text messages, with the media tools
// under it and setFrozen(frozen, banner) to pause it.
function composer({ send, refused }) {
  // autocomplete off: what a child types (maybe a password the leak
  // guard stops) is never kept by the browser's form memory either.
  const text = field({ name: "content", label: t("chat.your_message"), multiline: true, maxlength: 2000, autocomplete: "off" });
  const leak = leakAlert(text);
  const f = form({
    label: t("chat.send_label"),
    cls: "composer",
    fields: [text],
    submit: t("chat.send"),
    busy: t("child.sending"),
    onsubmit: async (v) => {
      const content = v.content.trim();
      if (!content) { const e = new Error(t("chat.type_first")); e.field = "content"; throw e; }
      leak.clear();
      try {
        await send({ type: "text", content });
      } catch (e) {
        if (e.status === 423 && e.code === "sleep_mode") { refused(e); return; }
        if (e.code === "password_in_message") { leak.show(e); return; }
        throw e;
      }
      text.input.value = "";
      text.input.focus();
    },
  });
  f.prepend(leak.el);
  text.input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); f.requestSubmit(); }
  });
  const tools = h("div", { class: "tools" });
  f.append(tools);
  mediaTools(tools, f, { send, refused });
  f.setFrozen = (frozen, banner) => {
    for (const el of f.querySelectorAll("textarea, button, input")) el.disabled = frozen;
    if (frozen && banner) text.input.setAttribute("aria-describedby", banner.id);
  };
  return f;
}

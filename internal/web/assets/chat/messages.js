// How one message of a chat looks: the bubble with its sender, time,
// body (words, photo or voice clip) and the Report / Delete buttons, and
// the words for the messages the server writes (joins, leaves, pauses).
import { h, when } from "../dom.js";
import { avatar, deletedNameT, upperFirst, photo } from "../ui.js";
import { api } from "../api.js";
import { reactionBar } from "./reactions.js";
import { t, k } from "../i18n.js";

// known holds the names of people seen in chats this session, so that a
// system message about someone who has left the group still names them.
const known = new Map();
const asked = new Set();

// learnNames reads the name of the person system message m is about when
// it is not known yet (they left the group), then calls redraw. A name
// the reader may not see stays "Someone".
export function learnNames(m, chat, redraw) {
  let e = {};
  try { e = JSON.parse(m.content || "{}"); } catch { return; }
  const id = e.user_id;
  if (!id || known.has(id) || asked.has(id) || formerMembers(chat.convo).has(id)) return;
  asked.add(id);
  api("GET", `/profiles/${id}`).then(p => { known.set(id, p.display_name); redraw(); }).catch(() => {});
}

// formerMembers are the ids of the chat's members whose account was deleted.
export function formerMembers(convo) {
  return new Set(convo ? convo.deleted_member_ids || [] : []);
}

// memberNames maps the people of the chat to their names, former members
// whose account was deleted included ("A deleted account", never "Someone").
export function memberNames(convo) {
  for (const m of convo ? convo.members : []) known.set(m.user_id, m.display_name);
  return new Map([
    ...known,
    ...[...formerMembers(convo)].map(id => [id, upperFirst(deletedNameT())]),
    ...(convo ? convo.members : []).map(m => [m.user_id, m.display_name])]);
}

// systemText says in words what a server-written message records (its
// content is {"event": ..., "user_id"?: ...}, naming people by id only).
function systemText(m, who, meID) {
  let e = {};
  try { e = JSON.parse(m.content || "{}"); } catch { return m.content || ""; }
  const keys = SYSTEM[e.event] || [k("chat.sys.other")];
  const you = e.user_id === meID && keys.length > 1;
  return t(you ? keys[1] : keys[0], { name: who.get(e.user_id) || t("chat.someone"), title: e.title || "" });
}

// SYSTEM are the words of each server-written event: about someone, and
// about the reader ("You left…": German and Spanish bend the verb).
const SYSTEM = {
  conversation_frozen: [k("chat.sys.frozen")],
  conversation_unfrozen: [k("chat.sys.unfrozen")],
  member_added: [k("chat.sys.joined"), k("chat.sys.joined_you")],
  member_removed: [k("chat.sys.removed"), k("chat.sys.removed_you")],
  member_left: [k("chat.sys.left"), k("chat.sys.left_you")],
  renamed: [k("chat.sys.renamed"), k("chat.sys.renamed_you")],
};

// messageBody is what a message says or shows. Members get neither the
// media nor the words of a deleted message; a parent reading their
// child's chat still gets both (media_url included) and sees them marked
// deleted.
function messageBody(m, sender, mine) {
  const hasMedia = (m.type === "image" || m.type === "audio") && m.media_url;
  let body;
  if (hasMedia && m.type === "image") {
    body = photo({ thumb: m.media_thumb_url, full: m.media_url, width: m.media_width, height: m.media_height,
      alt: mediaName(MEDIA_WORDS.image, m, sender, mine), cls: m.deleted ? "deleted" : "" });
  }
  else if (hasMedia) body = h("audio", { controls: true, src: m.media_url, "aria-label": mediaName(MEDIA_WORDS.audio, m, sender, mine) });
  else if (m.deleted && !m.content) body = h("p", { class: "body tomb" }, t("chat.tomb"));
  else body = h("p", { class: "body" }, m.content || "");
  const caption = hasMedia && m.content ? h("p", { class: "body" }, m.content) : null;
  return [body, caption];
}

// MEDIA_WORDS name a photo or voice clip: [from someone, mine, deleted
// from someone, deleted mine].
const MEDIA_WORDS = {
  image: [k("chat.photo_from"), k("chat.photo_mine"), k("chat.photo_deleted_from"), k("chat.photo_deleted_mine")],
  audio: [k("chat.voice_from"), k("chat.voice_mine"), k("chat.voice_deleted_from"), k("chat.voice_deleted_mine")],
};
function mediaName(words, m, sender, mine) {
  return t(words[(m.deleted ? 2 : 0) + (mine ? 1 : 0)], { name: sender });
}

// messageActions are the buttons under a message: Report (anyone's but
// one's own), Delete (the sender, or reading read-only the sender's
// parent).
function messageActions(m, sender, chat, { report, remove }) {
  const mine = m.sender_id === chat.me.id;
  const acts = h("div", { class: "actions" });
  if (m.deleted) return acts;
  if (!mine) acts.append(h("button", { class: "linkish", type: "button", onclick: () => report(m, sender) }, t("chat.report")));
  if ((mine && !chat.convo.read_only) || (chat.childID && m.sender_id === chat.childID)) {
    acts.append(h("button", { class: "linkish", type: "button", onclick: () => remove(m), "aria-label": mine ? null : t("chat.delete_label", { name: sender }) }, t("chat.delete")));
  }
  return acts;
}

// messageItem is one message as a list item; who is memberNames(convo),
// on.report(m, sender) and on.remove(m) are what its buttons do.
export function messageItem(m, who, chat, on) {
  const mine = m.sender_id === chat.me.id;
  const sender = mine ? t("chat.you") : who.get(m.sender_id) || t("chat.someone");
  if (m.type === "system") return h("li", { class: "msg system" }, h("p", { class: "body" }, systemText(m, who, chat.me.id)));
  const former = formerMembers(chat.convo);
  return h("li", { class: "msg" + (mine ? " mine" : "") },
    h("div", { class: "meta" }, m.sender_id ? avatar(former.has(m.sender_id) ? 0 : m.sender_id) : null, h("strong", {}, sender),
      h("time", { datetime: m.created_at }, when(m.created_at)), m.deleted ? h("span", { class: "badge bad" }, t("gallery.deleted")) : null),
    messageBody(m, sender, mine), reactionBar(m, chat, sender), messageActions(m, sender, chat, on));
}

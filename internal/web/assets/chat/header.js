// The top of a chat: its title (with "your parent can read this chat" for
// a child) and the banners under it (read-only, paused and why, hide a
// chat left alone).
import { h, replace, uid } from "../dom.js";
import { api } from "../api.js";
import { action } from "../forms.js";
import { convoName, icon, aloneAfterDeletion } from "../ui.js";
import { t } from "../i18n.js";

// chatHeader makes the title and banners of chat; draw() fills them in
// from chat.convo and chat.frozenWhy. head(back, people) is the chat's top
// row: the way back, the title with, for a child, the sign that their
// parent can read the chat (there from the first paint, so nothing moves
// when the chat has loaded), and a group's people.
export function chatHeader(chat) {
  const title = h("h1", { id: uid("chat") }, t("chat.title"));
  const banners = h("div", { class: "chat-banners" });
  const watch = chat.isChild ? h("p", { class: "watch" }, icon("eye"), t("chat.watch")) : null;
  return {
    title,
    banners,
    head: (back, people) => h("div", { class: "chat-head" }, back, h("div", { class: "chat-title" }, title, watch), people),
    // frozenBanner is the banner saying why the chat is paused, if shown.
    frozenBanner: () => banners.querySelector(".banner.frozen"),
    draw() {
      title.textContent = titleText(chat);
      replace(banners, bannerList(chat));
      chat.ctx.title = title.textContent;
      document.title = title.textContent + " · Pixel Pals";
    },
  };
}

// titleText names the chat for the one reading it (a parent reads their
// child's).
function titleText({ convo, me, childID }) {
  if (childID) {
    const child = convo.members.find(m => m.user_id === childID);
    const whose = child ? child.display_name : t("chat.your_child");
    const name = convoName(convo, childID);
    return convo.is_group ? t("chat.child_group", { whose, name }) : t("chat.child_chat", { whose, name });
  }
  return convo.is_group ? convoName(convo, me.id) : t("chat.chat_with", { name: convoName(convo, me.id) });
}

function bannerList(chat) {
  const { convo } = chat;
  const b = [];
  if (convo.read_only) b.push(h("p", { class: "banner readonly" }, t("chat.read_only")));
  if (convo.frozen) b.push(h("p", { class: "banner frozen", role: "status", id: uid("frozen") },
    icon("pause"), chat.frozenWhy || t("chat.frozen")));
  if (canHide(chat)) b.push(hideRow(chat));
  return b;
}

// canHide: a member left alone after the others' accounts were deleted
// may hide the chat (POST /conversations/{id}/hide).
const canHide = ({ convo, me }) => !convo.read_only && aloneAfterDeletion(convo, me.id);

function hideRow(chat) {
  return h("div", { class: "row" }, action(t("chat.hide"), async () => {
    await api("POST", `/conversations/${chat.cid}/hide`);
    chat.ctx.go(chat.back);
  }, { cls: "ghost" }),
  h("span", { class: "muted small" }, chat.isChild ? t("chat.hide_child") : t("chat.hide_hint")));
}

// deletedReason says why a frozen chat is paused when the other's account
// was deleted ("" when that is not why).
export function deletedReason({ convo, me, childID }) {
  if (!aloneAfterDeletion(convo, childID || me.id)) return "";
  return childID
    ? t("chat.deleted_parent")
    : t("chat.deleted_child");
}

// adultReason says why a frozen direct chat between a grown-up and a
// child is paused ("" for any other chat): the grown-up may no longer
// chat with the child, most often a trusted grown-up whom a parent (or
// they themself) ended (issue 21.3). Friendship words would be wrong.
export function adultReason({ convo, me, childID }) {
  if (convo.is_group || convo.members.length !== 2) return "";
  const adult = convo.members.find(m => m.role === "PARENT");
  const child = convo.members.find(m => m.role === "CHILD");
  if (!adult || !child) return "";
  if (childID) return t("chat.adult_ended_guardian", { adult: adult.display_name, name: child.display_name });
  return me.id === adult.user_id
    ? t("chat.adult_ended_adult", { name: child.display_name })
    : t("chat.adult_ended_child", { name: adult.display_name });
}

// blockReason says why a frozen chat is paused when a block stands
// between the viewer's child (or the viewer) and a member ("" when none
// does, or the contacts cannot be read).
export async function blockReason(chat) {
  const { me, childID } = chat;
  const kid = childID || me.id;
  let page;
  try { page = await api("GET", "/contacts" + (childID ? `?child_id=${childID}` : "")); } catch { return ""; }
  const members = new Set(chat.convo.members.map(m => m.user_id));
  for (const k of page.items) {
    if (!k.blocked_by) continue;
    const other = k.children.find(c => c.child_id !== kid);
    const mine = k.children.find(c => c.child_id === kid);
    if (!other || !mine || !members.has(other.child_id)) continue;
    return blockText(k.blocked_by, me.id, childID, mine.display_name, other.display_name);
  }
  return "";
}

function blockText(blocker, meID, childID, mine, other) {
  if (!childID) {
    return blocker === meID
      ? t("chat.blocked_you", { other })
      : t("chat.blocked_by", { other });
  }
  return blocker === childID
    ? t("chat.blocked_child", { mine, other })
    : t("chat.blocked_other", { mine, other });
}

// The people of a group chat, under a disclosure next to its title: who is
// in it (and who owns it); the owner renames the group, adds friends and
// takes people out; any member leaves. A parent reading their child's
// group sees who is in it. A refusal by the contact rule is said in a
// child's words (words.js notFriendsYet).
import { h, replace } from "../dom.js";
import { api } from "../api.js";
import { field, form, action } from "../forms.js";
import { avatar, icon } from "../ui.js";
import { notFriendsYet } from "../words.js";
import { groupCandidates } from "../group.js";
import { t } from "../i18n.js";

// groupPanel returns {el, draw}; draw() fills it from chat.convo (hidden
// for a direct chat), redrawing only when the group changed.
export function groupPanel(chat) {
  const count = h("span");
  // On a phone the summary shows only the people icon and "(3)" (the
  // words stay for screen readers), a button at the end of the chat's top
  // row; the panel opens over the messages (style.css).
  const summary = h("summary", {}, icon("people"), h("span", {}, h("span", { class: "wide" }, t("group.people")), count));
  const body = h("div", { class: "group-body" });
  const el = h("details", { class: "group-panel" }, summary, body);
  el.hidden = true;
  let drawn = "";
  return {
    el,
    async draw() {
      const c = chat.convo;
      el.hidden = !c.is_group;
      if (!c.is_group) return;
      count.textContent = ` (${c.members.length})`;
      const sig = JSON.stringify([c.title, c.members.map(m => [m.user_id, m.role_in_convo, m.display_name]), c.read_only]);
      if (sig === drawn) return;
      drawn = sig;
      replace(body, memberList(chat), await ownerTools(chat), leaveRow(chat));
    },
  };
}

const isOwner = (chat) => !chat.convo.read_only && chat.convo.members.some(m => m.user_id === chat.me.id && m.role_in_convo === "owner");

function memberList(chat) {
  const owner = isOwner(chat);
  return h("ul", { class: "list" }, chat.convo.members.map(m => {
    const self = m.user_id === chat.me.id;
    return h("li", { class: "row spread" },
      h("span", { class: "who" }, avatar(m.user_id), h("strong", {}, self ? t("chat.you") : m.display_name),
        m.role_in_convo === "owner" ? h("span", { class: "badge" }, t("group.owner")) : null),
      owner && !self ? action(t("group.remove"), async () => {
        await api("DELETE", `/conversations/${chat.cid}/members/${m.user_id}`);
        await chat.reload();
      }, { cls: "ghost", label: t("group.remove_label", { name: m.display_name }), confirm: t("group.remove_confirm", { name: m.display_name }), yes: t("group.remove_yes") }) : null);
  }));
}

// ownerTools are the rename and add forms, for the owner only.
async function ownerTools(chat) {
  if (!isOwner(chat)) return null;
  const rename = form({
    label: t("group.rename"),
    fields: [field({ name: "title", label: t("group.name"), value: chat.convo.title || "", maxlength: 200, autocomplete: "off" })],
    submit: t("group.rename_submit"),
    busy: t("group.renaming"),
    onsubmit: async (v) => {
      await api("PATCH", `/conversations/${chat.cid}`, { title: v.title });
      await chat.reload();
    },
  });
  let people = [];
  try { people = await groupCandidates(chat.me); } catch { people = []; }
  const inside = new Set(chat.convo.members.map(m => m.user_id));
  const out = people.filter(p => !inside.has(p.id));
  return h("div", {}, h("h3", {}, t("group.rename")), rename,
    h("h3", {}, t("group.add")), out.length ? addForm(chat, out) : h("p", { class: "muted" }, t("group.all_in")));
}

function addForm(chat, out) {
  return form({
    label: t("group.add_label"),
    fields: [field({ name: "user_id", label: t("group.friend"), options: out.map(p => [String(p.id), p.name]) })],
    submit: t("group.add_submit"),
    busy: t("group.adding"),
    onsubmit: async (v) => {
      const id = Number(v.user_id);
      try {
        await api("POST", `/conversations/${chat.cid}/members`, { user_id: id });
      } catch (e) {
        if (e.code !== "forbidden" || e.field !== "user_id") throw e;
        const others = chat.convo.members.filter(m => m.role === "CHILD" && m.user_id !== chat.me.id).map(m => m.display_name);
        const err = new Error(notFriendsYet([out.find(p => p.id === id).name], others));
        err.field = "user_id";
        throw err;
      }
      await chat.reload();
    },
  });
}

// leaveRow lets a member leave (a parent who only reads cannot).
function leaveRow(chat) {
  if (chat.convo.read_only) return null;
  return h("div", { class: "row leave" }, action(t("group.leave"), async () => {
    await api("DELETE", `/conversations/${chat.cid}/members/${chat.me.id}`);
    chat.ctx.go(chat.back);
  }, { cls: "ghost", confirm: t("group.leave_confirm"), yes: t("group.leave_yes") }));
}

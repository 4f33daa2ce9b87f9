// A parent's side of their children's friendships: a friend request or
// link with what the parent may do about it, the child's friend code, and
// the child's friends with "Add a friend by code".
import { h } from "../dom.js";
import { api, q } from "../api.js";
import { field, action, titled } from "../forms.js";
import { section, empty, otherChild, icon, defaultAvatar } from "../ui.js";
import { blockState } from "../block.js";
import { t, list, relative, formatDate } from "../i18n.js";

// requestRow is one contact link from the side of childID, with the
// actions its parent may take.
export function requestRow(childID, childName, k, reload) {
  const other = otherChild(k, childID);
  if (k.blocked_by) return blockedRow(childID, childName, k, other, reload);
  const mine = k.children.find(x => x.child_id === childID) || {};
  let state, acts = [];
  if (k.status === "approved") {
    state = h("span", { class: "badge" }, t("contacts.friends"));
    acts.push(action(t("contacts.remove"), async () => { await api("DELETE", `/contacts/${k.id}`); reload(); },
      { cls: "ghost", confirm: t("contacts.remove_confirm", { other: other.display_name, child: childName }), yes: t("contacts.remove_yes") }));
  } else if (!mine.parent_approved && k.approval) {
    return approvalCard(childName, k, reload);
  } else if (!mine.parent_approved) {
    state = h("span", { class: "badge wait" }, t("contacts.needs_ok"));
    acts.push(action(t("contacts.approve"), async () => { await api("POST", `/contacts/${k.id}/approve`); reload(); },
      { cls: "good", label: t("contacts.approve_label", { other: other.display_name, child: childName }) }));
    acts.push(action(t("contacts.reject"), async () => { await api("POST", `/contacts/${k.id}/reject`); reload(); },
      { cls: "ghost", label: t("contacts.reject_label", { other: other.display_name }) }));
  } else {
    state = h("span", { class: "badge wait" }, t("contacts.waiting_other"));
  }
  return h("li", {},
    h("p", {}, h("strong", {}, other.display_name), t("contacts.and_child", { child: childName }), state),
    h("div", { class: "row" }, acts));
}

// approvalCard is a request that waits for the parent's OK, with what
// they need to judge it (issue 21.4): who asks, with their picture and
// their family's grown-ups, since when, and how many friends the two
// children share.
function approvalCard(childName, k, reload) {
  const a = k.approval;
  const other = a.other_display_name;
  const pic = h("img", { class: "avatar mid", alt: "", width: 64, height: 64 });
  pic.addEventListener("error", () => { if (pic.src !== defaultAvatar) pic.src = defaultAvatar; });
  pic.src = a.other_avatar_url + "?size=thumb";
  const asks = withStrong(k.requested_by === a.child_id ? t("contacts.asks_mine", { child: childName }) : t("contacts.asks_other", { child: childName }), "{other}", other);
  const count = a.other_guardians.length;
  const grownUps = count ? t("contacts.parents", { count, names: list(a.other_guardians) }) : "";
  const common = a.common_contacts === 0 ? t("contacts.no_common") : t("contacts.common", { count: a.common_contacts });
  const labels = { other, child: childName };
  const judge = (verb, path, cls, label) => action(verb, async () => { await api("POST", `/contacts/${k.id}/${path}`); reload(); }, { cls, label });
  return h("li", { class: "approval" },
    h("div", { class: "who" }, pic, h("div", {},
      h("p", {}, ...asks),
      grownUps ? h("p", { class: "small" }, grownUps) : null,
      h("p", { class: "small muted" }, h("time", { datetime: a.requested_at, title: formatDate(new Date(a.requested_at), { dateStyle: "medium", timeStyle: "short" }) },
        t("contacts.asked", { when: relative(new Date(a.requested_at)) })),
        " · ", common))),
    h("div", { class: "row" },
      judge(t("contacts.approve"), "approve", "good", t("contacts.approve_label", labels)),
      judge(t("contacts.decline"), "reject", "ghost", t("contacts.decline_label", labels))));
}

// withStrong splits sentence s at mark and puts name there in bold: the
// name stands where each language puts it.
function withStrong(s, mark, name) {
  const i = s.indexOf(mark);
  if (i < 0) return [s];
  return [s.slice(0, i), h("strong", {}, name), s.slice(i + mark.length)];
}

// blockedRow is a blocked link: who blocked whom, Unblock for the
// blocker's parent, Remove friend for both.
function blockedRow(childID, childName, k, other, reload) {
  const acts = [];
  const state = h("span", { class: "badge bad" }, icon("block"), t("contacts.blocked_by", { name: k.blocked_by === childID ? childName : other.display_name }));
  if (k.blocked_by === childID) {
    acts.push(action(t("contacts.unblock"), async () => { await api("POST", `/contacts/${k.id}/unblock`); reload(); },
      { cls: "good", label: t("contacts.unblock_label", { other: other.display_name }),
        confirm: t("contacts.unblock_confirm", { other: other.display_name, child: childName }), yes: t("contacts.unblock_yes") }));
  }
  acts.push(action(t("contacts.remove"), async () => { await api("DELETE", `/contacts/${k.id}`); reload(); },
    { cls: "ghost", confirm: t("contacts.remove_blocked_confirm", { other: other.display_name, child: childName }), yes: t("contacts.remove_yes") }));
  return h("li", {},
    h("p", {}, h("strong", {}, other.display_name), t("contacts.and_child", { child: childName }), state),
    h("p", { class: "small" }, blockState(k, childID, true)),
    h("div", { class: "row" }, acts));
}

// friendCodeCard shows child id's friend code, and makes a new one.
export function friendCodeCard(id) {
  return section({
    title: t("contacts.code"),
    load: () => api("GET", `/children/${id}/friend-code`),
    render: (d, reload) => h("div", {},
      h("p", {}, t("contacts.code_hint")),
      h("p", {}, h("span", { class: "code", "aria-label": t("contacts.code") }, d.friend_code)),
      action(t("contacts.new_code"), async () => { await api("POST", `/children/${id}/friend-code`); reload(); },
        { cls: "ghost", confirm: t("contacts.new_code_confirm"), yes: t("contacts.new_code_yes") })),
  });
}

// friendsCard lists child id's (named name) friends and requests, and
// asks for a friend by their code.
export function friendsCard(id, name) {
  const friends = section({
    title: t("nav.friends"),
    load: () => api("GET", "/contacts" + q({ child_id: id })),
    render: (page, reload) => page.items.length === 0 ? empty(t("contacts.none", { name }))
      : h("ul", { class: "list" }, page.items.map(k => requestRow(id, name, k, reload))),
    footer: titled(t("contacts.add"), {
      label: t("contacts.add"),
      fields: [field({ name: "friend_code", label: t("contacts.their_code"), autocomplete: "off", autocapitalize: "characters", spellcheck: "false", hint: t("contacts.add_hint") })],
      submit: t("contacts.send"),
      busy: t("child.sending"),
      onsubmit: async (v, f) => {
        await api("POST", "/contacts", { friend_code: v.friend_code.trim(), child_id: id });
        f.fields[0].input.value = "";
        f.ok.textContent = t("contacts.sent");
        friends.reload();
      },
    }),
  });
  return friends;
}

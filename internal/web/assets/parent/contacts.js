// A parent's side of their children's friendships: a friend request or
// link with what the parent may do about it, the child's friend code, and
// the child's friends with "Add a friend by code".
import { h } from "../dom.js";
import { api, q } from "../api.js";
import { field, action, titled } from "../forms.js";
import { section, empty, otherChild, icon, defaultAvatar } from "../ui.js";
import { blockState } from "../block.js";

// requestRow is one contact link from the side of childID, with the
// actions its parent may take.
export function requestRow(childID, childName, k, reload) {
  const other = otherChild(k, childID);
  if (k.blocked_by) return blockedRow(childID, childName, k, other, reload);
  const mine = k.children.find(x => x.child_id === childID) || {};
  let state, acts = [];
  if (k.status === "approved") {
    state = h("span", { class: "badge" }, "friends");
    acts.push(action("Remove friend", async () => { await api("DELETE", `/contacts/${k.id}`); reload(); },
      { cls: "ghost", confirm: `Remove ${other.display_name} as ${childName}'s friend? Their chats will pause.`, yes: "Yes, remove" }));
  } else if (!mine.parent_approved && k.approval) {
    return approvalCard(childName, k, reload);
  } else if (!mine.parent_approved) {
    state = h("span", { class: "badge wait" }, "needs your OK");
    acts.push(action("Approve", async () => { await api("POST", `/contacts/${k.id}/approve`); reload(); }, { cls: "good", label: `Approve ${other.display_name} as ${childName}'s friend` }));
    acts.push(action("Reject", async () => { await api("POST", `/contacts/${k.id}/reject`); reload(); }, { cls: "ghost", label: `Reject ${other.display_name}` }));
  } else {
    state = h("span", { class: "badge wait" }, "waiting for the other parent");
  }
  return h("li", {},
    h("p", {}, h("strong", {}, other.display_name), ` and ${childName} `, state),
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
  const asks = k.requested_by === a.child_id ? [`${childName} wants to be friends with `, h("strong", {}, other)]
    : [h("strong", {}, other), ` wants to be friends with ${childName}`];
  const grownUps = a.other_guardians.length ? `${a.other_guardians.length === 1 ? "Parent" : "Parents"}: ${a.other_guardians.join(", ")}` : "";
  const common = a.common_contacts === 0 ? "No friends in common" : `${a.common_contacts} ${a.common_contacts === 1 ? "friend" : "friends"} in common`;
  const judge = (verb, path, cls, label) => action(verb, async () => { await api("POST", `/contacts/${k.id}/${path}`); reload(); }, { cls, label });
  return h("li", { class: "approval" },
    h("div", { class: "who" }, pic, h("div", {},
      h("p", {}, ...asks),
      grownUps ? h("p", { class: "small" }, grownUps) : null,
      h("p", { class: "small muted" }, h("time", { datetime: a.requested_at, title: new Date(a.requested_at).toLocaleString() }, `Asked ${ago(a.requested_at)}`),
        " · ", common))),
    h("div", { class: "row" },
      judge("Approve", "approve", "good", `Approve ${other} as ${childName}'s friend`),
      judge("Decline", "reject", "ghost", `Decline ${other} as ${childName}'s friend`)));
}

// ago is how long ago iso was, in words ("3 days ago", "yesterday").
export function ago(iso) {
  const rtf = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
  const s = (new Date(iso).getTime() - Date.now()) / 1000;
  for (const [unit, size] of [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400], ["hour", 3600], ["minute", 60]]) {
    if (Math.abs(s) >= size) return rtf.format(Math.round(s / size), unit);
  }
  return rtf.format(0, "minute");
}

// blockedRow is a blocked link: who blocked whom, Unblock for the
// blocker's parent, Remove friend for both.
function blockedRow(childID, childName, k, other, reload) {
  const acts = [];
  const state = h("span", { class: "badge bad" }, icon("block"), k.blocked_by === childID ? `blocked by ${childName}` : `blocked by ${other.display_name}`);
  if (k.blocked_by === childID) {
    acts.push(action("Unblock", async () => { await api("POST", `/contacts/${k.id}/unblock`); reload(); },
      { cls: "good", label: `Unblock ${other.display_name}`, confirm: `Unblock ${other.display_name}? ${childName} blocked them; after this they can chat again (shared groups too).`, yes: "Yes, unblock" }));
  }
  acts.push(action("Remove friend", async () => { await api("DELETE", `/contacts/${k.id}`); reload(); },
    { cls: "ghost", confirm: `Remove ${other.display_name} as ${childName}'s friend?`, yes: "Yes, remove" }));
  return h("li", {},
    h("p", {}, h("strong", {}, other.display_name), ` and ${childName} `, state),
    h("p", { class: "small" }, blockState(k, childID, true)),
    h("div", { class: "row" }, acts));
}

// friendCodeCard shows child id's friend code, and makes a new one.
export function friendCodeCard(id) {
  return section({
    title: "Friend code",
    load: () => api("GET", `/children/${id}/friend-code`),
    render: (d, reload) => h("div", {},
      h("p", {}, `Share this code with a friend's parent, offline. There is no way to search for children.`),
      h("p", {}, h("span", { class: "code", "aria-label": "Friend code" }, d.friend_code)),
      action("Make a new code", async () => { await api("POST", `/children/${id}/friend-code`); reload(); },
        { cls: "ghost", confirm: "The old code will stop working. Make a new one?", yes: "Yes, new code" })),
  });
}

// friendsCard lists child id's (named name) friends and requests, and
// asks for a friend by their code.
export function friendsCard(id, name) {
  const friends = section({
    title: "Friends",
    load: () => api("GET", "/contacts" + q({ child_id: id })),
    render: (page, reload) => page.items.length === 0 ? empty(`${name} has no friends here yet. Add one with their friend code below.`)
      : h("ul", { class: "list" }, page.items.map(k => requestRow(id, name, k, reload))),
    footer: titled("Add a friend by code", {
      label: "Add a friend by code",
      fields: [field({ name: "friend_code", label: "Friend's code", autocomplete: "off", autocapitalize: "characters", spellcheck: "false", hint: "Asking for it approves it on your side." })],
      submit: "Send friend request",
      busy: "Sending…",
      onsubmit: async (v, f) => {
        await api("POST", "/contacts", { friend_code: v.friend_code.trim(), child_id: id });
        f.fields[0].input.value = "";
        f.ok.textContent = "Request sent. The other parent must approve it too.";
        friends.reload();
      },
    }),
  });
  return friends;
}

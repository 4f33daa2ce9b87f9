// Making a group chat: a title and the friends in it. A child picks from
// their approved friends; a parent from their own children (a parent
// shares a chat only with their own children: docs/chat.md). When the
// contact rule refuses it, the form says why in a child's words.
import { h, uid } from "./dom.js";
import { api } from "./api.js";
import { field, form } from "./forms.js";
import { section, empty, avatar, otherChild } from "./ui.js";
import { notFriendsYet } from "./words.js";

// groupCandidates are the people the user may put in a group: a child's
// approved, unblocked friends, a parent's children, as {id, name}.
export async function groupCandidates(me) {
  if (me.role === "PARENT") {
    const page = await api("GET", "/children");
    return page.items.map(c => ({ id: c.user.id, name: c.profile.display_name }));
  }
  const page = await api("GET", "/contacts");
  return page.items.filter(k => k.status === "approved" && !k.blocked_by)
    .map(k => otherChild(k, me.id)).map(o => ({ id: o.child_id, name: o.display_name }));
}

// newGroupCard is the "Make a group" card; it opens the new chat.
export function newGroupCard(ctx) {
  const me = ctx.me.user;
  return section({
    title: "Make a group",
    load: () => groupCandidates(me),
    render: (people) => people.length === 0
      ? empty(me.role === "PARENT" ? "Add a child first, then you can make a family group." : "When both parents have said OK to a friend, you can put them in a group.")
      : groupForm(ctx, people),
  });
}

function groupForm(ctx, people) {
  const boxes = people.map(p => {
    const id = uid("pick");
    const input = h("input", { type: "checkbox", id, value: String(p.id) });
    return { p, input, el: h("li", { class: "check pick" }, input, h("label", { for: id, class: "who" }, avatar(p.id), p.name)) };
  });
  const who = h("fieldset", { class: "picks" }, h("legend", {}, "Who is in it?"), h("ul", { class: "list" }, boxes.map(b => b.el)));
  return form({
    label: "Make a group",
    fields: [field({ name: "title", label: "Group name", hint: "Like “Football team”. Everyone in the group sees it.", maxlength: 200, autocomplete: "off" })],
    extra: who,
    submit: "Make the group",
    busy: "Making…",
    onsubmit: async (v) => {
      const picked = boxes.filter(b => b.input.checked).map(b => b.p);
      if (!picked.length) throw new Error("Pick at least one friend for the group.");
      try {
        const c = await api("POST", "/conversations", { member_ids: picked.map(p => p.id), is_group: true, title: v.title });
        ctx.go(`#/chat/${c.id}`);
      } catch (e) {
        if (e.code === "forbidden" && e.field === "member_ids") throw new Error(notFriendsYet(picked.map(p => p.name), []));
        throw e;
      }
    },
  });
}

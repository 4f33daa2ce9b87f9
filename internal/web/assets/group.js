// Making a group chat: a title and the friends in it. A child picks from
// their approved friends. A parent makes a family group with their own
// children (a parent shares a chat only with their own children:
// docs/chat.md), or, on a child's page, a group for that child with the
// child's friends, which the child owns (POST /conversations child_id).
// When the contact rule refuses it, the form says why in a child's words.
import { h, uid } from "./dom.js";
import { api, q } from "./api.js";
import { field, form } from "./forms.js";
import { section, empty, avatar, otherChild } from "./ui.js";
import { notFriendsYet } from "./words.js";
import { t } from "./i18n.js";

// groupCandidates are the people the user may put in a group, as {id,
// name}: a child's approved, unblocked friends (childID's, for their
// parent), or a parent's own children.
export async function groupCandidates(me, childID) {
  if (me.role === "PARENT" && !childID) {
    const page = await api("GET", "/children");
    return page.items.map(c => ({ id: c.user.id, name: c.profile.display_name }));
  }
  const kid = childID || me.id;
  const page = await api("GET", "/contacts" + q({ child_id: childID }));
  return page.items.filter(k => k.status === "approved" && !k.blocked_by)
    .map(k => otherChild(k, kid)).map(o => ({ id: o.child_id, name: o.display_name }));
}

// newGroupCard is the "Make a group" card; it opens the new chat. child
// ({id, name}) is the child a parent makes it for, on the child's page.
export function newGroupCard(ctx, child) {
  const me = ctx.me.user;
  let title = t("group.make");
  let none = t("group.none");
  if (child) {
    title = t("group.make_for", { name: child.name });
    none = t("group.none_for", { name: child.name });
  } else if (me.role === "PARENT") {
    title = t("group.make_family");
    none = t("group.none_family");
  }
  return section({
    title,
    load: () => groupCandidates(me, child && child.id),
    render: (people) => people.length === 0 ? empty(none) : groupForm(ctx, people, child),
  });
}

function groupForm(ctx, people, child) {
  const boxes = people.map(p => {
    const id = uid("pick");
    const input = h("input", { type: "checkbox", id, value: String(p.id) });
    return { p, input, el: h("div", { class: "check pick" }, input, h("label", { for: id, class: "who" }, avatar(p.id), p.name)) };
  });
  const who = h("fieldset", { class: "picks" }, h("legend", {}, t("group.who")), boxes.map(b => b.el));
  return form({
    label: t("group.make"),
    fields: [field({ name: "title", label: t("group.name"), hint: child ? t("group.owner_hint", { name: child.name }) : t("group.name_hint"), maxlength: 200, autocomplete: "off" })],
    extra: who,
    submit: t("group.submit"),
    busy: t("group.busy"),
    onsubmit: async (v) => {
      const picked = boxes.filter(b => b.input.checked).map(b => b.p);
      if (!picked.length) throw new Error(t("group.pick_one"));
      try {
        const body = { member_ids: picked.map(p => p.id), is_group: true, title: v.title };
        if (child) body.child_id = child.id;
        const c = await api("POST", "/conversations", body);
        ctx.go(child ? `#/child/${child.id}/chat/${c.id}` : `#/chat/${c.id}`);
      } catch (e) {
        if (e.code === "forbidden" && e.field === "member_ids") throw new Error(notFriendsYet(picked.map(p => p.name), []));
        throw e;
      }
    },
  });
}

// Users as families: each parent with their children beneath (children
// carry their parent's name), pending parents marked and approvable here
// too; admins on their own.
import { h, replace, when } from "../dom.js";
import { api, q } from "../api.js";
import { field, form, action } from "../forms.js";
import { empty } from "../ui.js";
import { pager, listIn } from "./pager.js";
import { t, k } from "../i18n.js";
import { deletedNameT } from "../ui.js";

export function adminUsers(ctx) {
  ctx.title = t("admin.users");
  const results = h("div");
  let path = "/admin/users?limit=50";
  let nested = true; // children show beneath their parent, not on their own
  const search = form({
    label: t("admin.find"),
    cls: "filters",
    fields: [
      field({ name: "q", label: t("admin.q"), type: "search" }),
      field({ name: "role", label: t("admin.role"), options: [["", t("admin.everyone")], ["PARENT", t("admin.parents")], ["CHILD", t("admin.children")], ["ADMIN", t("admin.admins")]] }),
      field({ name: "approved", label: t("admin.approved"), options: [["", t("admin.either")], ["true", t("admin.approved")], ["false", t("admin.waiting")]] }),
    ],
    submit: t("admin.search"),
    onsubmit: async (v) => {
      // A search or the children's list shows children on their own, with
      // their parent named; the plain list shows families.
      nested = !v.q.trim() && v.role === "";
      path = "/admin/users" + q({ q: v.q.trim(), role: v.role, approved: v.approved, limit: 50 });
      if (!path.includes("?")) path += "?";
      await list();
    },
  });
  const list = () => pager(results, path, (body, page, first) => {
    const items = nested ? page.items.filter(u => u.role !== "CHILD") : page.items;
    if (first && !items.length) { replace(body, empty(t("admin.no_users"))); return; }
    const ul = listIn(body, first, "list families");
    for (const u of items) ul.append(userRow(u, list));
  });
  list();
  ctx.refresh = list;
  return h("div", {}, h("h1", {}, t("admin.users")), h("section", { class: "card", "aria-label": t("admin.search") }, search),
    h("section", { class: "card", "aria-label": t("admin.results") }, results));
}

// accountActions are suspend or reinstate, and delete, for a non-admin.
function accountActions(u, reload) {
  const who = u.email || u.login;
  const acts = [];
  if (u.suspended) acts.push(action(t("admin.reinstate"), async () => { await api("POST", `/admin/users/${u.id}/reinstate`); reload(); }, { cls: "good", label: t("admin.reinstate_label", { who }) }));
  else acts.push(suspendWithNote(u, who, reload));
  acts.push(action(t("admin.delete"), async () => { await api("DELETE", `/admin/users/${u.id}`); reload(); },
    { cls: "bad", label: t("admin.delete_label", { who }),
      confirm: u.role === "PARENT" ? t("admin.delete_confirm_parent", { who }) : t("admin.delete_confirm", { who }), yes: t("admin.delete_yes") }));
  return acts;
}

// suspendWithNote is "Suspend": it asks in place, with an optional note
// for the audit log ("Admin suspended Ben: spamming").
function suspendWithNote(u, who, reload) {
  const button = h("button", { class: "btn small ghost", type: "button", "aria-label": t("admin.suspend_label", { who }) }, t("admin.suspend"));
  const note = field({ name: "note", label: t("admin.note"), multiline: true, maxlength: 500 });
  const err = h("p", { class: "error", role: "alert" });
  const yes = h("button", { class: "btn small bad", type: "button" }, t("admin.suspend_yes"));
  const no = h("button", { class: "btn small ghost", type: "button" }, t("admin.cancel"));
  const box = h("div", { class: "confirm", role: "group", "aria-label": t("admin.confirm") },
    h("p", {}, u.role === "PARENT" ? t("admin.suspend_confirm_parent", { who }) : t("admin.suspend_confirm", { who })),
    note, h("div", { class: "row" }, yes, no), err);
  box.hidden = true;
  button.addEventListener("click", () => { box.hidden = false; yes.focus(); });
  no.addEventListener("click", () => { box.hidden = true; button.focus(); });
  yes.addEventListener("click", async () => {
    err.textContent = "";
    yes.disabled = true;
    try {
      await api("POST", `/admin/users/${u.id}/suspend`, { note: note.input.value.trim() });
      reload();
    } catch (e) {
      err.textContent = e.message;
    } finally {
      yes.disabled = false;
    }
  });
  return h("span", { class: "action" }, button, box);
}

function userRow(u, reload) {
  const pending = u.role === "PARENT" && !u.approved_by_admin;
  const badges = [h("span", { class: "badge" }, t(ROLE[u.role] || "admin.role_admin"))];
  if (u.suspended) badges.push(h("span", { class: "badge bad" }, t("admin.suspended")));
  if (pending) badges.push(h("span", { class: "badge wait" }, t("admin.waiting_approval")));
  const acts = [];
  if (pending) acts.push(action(t("admin.approve"), async () => { await api("POST", `/admin/users/${u.id}/approve`); reload(); }, { cls: "good", label: t("admin.approve_label", { email: u.email }) }));
  if (u.role !== "ADMIN") acts.push(...accountActions(u, reload));
  const kids = u.children || [];
  return h("li", { class: "family" + (pending ? " pending" : ""), "data-user": u.id },
    h("p", {}, h("strong", {}, u.display_name), " · ", h("code", {}, u.email), " ", badges, h("span", { class: "muted small" }, ` · #${u.id}`)),
    u.role === "CHILD" ? h("p", { class: "small" }, withStrong(t("admin.child_of_line"), "{name}", u.parent_display_name || deletedNameT())) : null,
    pending ? h("p", { class: "small muted" }, t("admin.signed_up_at", { when: when(u.created_at) }) + " · " + (u.email_verified ? t("admin.email_confirmed_lower") : t("admin.email_unconfirmed_lower"))) : null,
    h("div", { class: "row" }, acts),
    u.role === "PARENT" ? (kids.length
      ? h("ul", { class: "children", "aria-label": t("admin.children_of", { name: u.display_name }) }, kids.map(k => childRow(k, reload)))
      : h("p", { class: "small muted" }, t("admin.no_children"))) : null);
}

// ROLE names each role on its badge.
const ROLE = { PARENT: k("admin.role_parent"), CHILD: k("admin.role_child"), ADMIN: k("admin.role_admin") };

// withStrong splits sentence s at mark and puts name there in bold.
function withStrong(s, mark, name) {
  const i = s.indexOf(mark);
  if (i < 0) return [s];
  return [s.slice(0, i), h("strong", {}, name), s.slice(i + mark.length)];
}

// childRow is a child beneath their parent.
function childRow(k, reload) {
  const child = { ...k, role: "CHILD" };
  return h("li", { "data-user": k.id },
    h("p", {}, h("strong", {}, k.display_name), " · ", h("code", {}, k.login), " ", h("span", { class: "badge" }, t("admin.role_child")),
      k.suspended ? [" ", h("span", { class: "badge bad" }, t("admin.suspended"))] : null, h("span", { class: "muted small" }, ` · #${k.id}`)),
    h("div", { class: "row" }, accountActions(child, reload)));
}

// Users as families: each parent with their children beneath (children
// carry their parent's name), pending parents marked and approvable here
// too; admins on their own.
import { h, replace, when } from "../dom.js";
import { api, q } from "../api.js";
import { field, form, action } from "../forms.js";
import { empty } from "../ui.js";
import { pager, listIn } from "./pager.js";

export function adminUsers(ctx) {
  ctx.title = "Users";
  const results = h("div");
  let path = "/admin/users?limit=50";
  let nested = true; // children show beneath their parent, not on their own
  const search = form({
    label: "Find users",
    cls: "filters",
    fields: [
      field({ name: "q", label: "Email or name contains", type: "search" }),
      field({ name: "role", label: "Role", options: [["", "Everyone"], ["PARENT", "Parents"], ["CHILD", "Children"], ["ADMIN", "Admins"]] }),
      field({ name: "approved", label: "Approved", options: [["", "Either"], ["true", "Approved"], ["false", "Waiting"]] }),
    ],
    submit: "Search",
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
    if (first && !items.length) { replace(body, empty("No users match.")); return; }
    const ul = listIn(body, first, "list families");
    for (const u of items) ul.append(userRow(u, list));
  });
  list();
  ctx.refresh = list;
  return h("div", {}, h("h1", {}, "Users"), h("section", { class: "card", "aria-label": "Search" }, search),
    h("section", { class: "card", "aria-label": "Results" }, results));
}

// accountActions are suspend or reinstate, and delete, for a non-admin.
function accountActions(u, reload) {
  const who = u.email || u.login;
  const acts = [];
  if (u.suspended) acts.push(action("Reinstate", async () => { await api("POST", `/admin/users/${u.id}/reinstate`); reload(); }, { cls: "good", label: `Reinstate ${who}` }));
  else acts.push(suspendWithNote(u, who, reload));
  acts.push(action("Delete", async () => { await api("DELETE", `/admin/users/${u.id}`); reload(); },
    { cls: "bad", label: `Delete ${who}`, confirm: `Delete ${who} for good?${u.role === "PARENT" ? " Their children are deleted too." : ""}`, yes: "Yes, delete" }));
  return acts;
}

// suspendWithNote is "Suspend": it asks in place, with an optional note
// for the audit log ("Admin suspended Ben: spamming").
function suspendWithNote(u, who, reload) {
  const button = h("button", { class: "btn small ghost", type: "button", "aria-label": `Suspend ${who}` }, "Suspend");
  const note = field({ name: "note", label: "Note for the audit log (optional)", multiline: true, maxlength: 500 });
  const err = h("p", { class: "error", role: "alert" });
  const yes = h("button", { class: "btn small bad", type: "button" }, "Yes, suspend");
  const no = h("button", { class: "btn small ghost", type: "button" }, "Cancel");
  const box = h("div", { class: "confirm", role: "group", "aria-label": "Confirm" },
    h("p", {}, `Suspend ${who}? They are logged out at once.${u.role === "PARENT" ? " Their children cannot log in while it lasts." : ""}`),
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
  const badges = [h("span", { class: "badge" }, u.role.toLowerCase())];
  if (u.suspended) badges.push(h("span", { class: "badge bad" }, "suspended"));
  if (pending) badges.push(h("span", { class: "badge wait" }, "waiting for approval"));
  const acts = [];
  if (pending) acts.push(action("Approve", async () => { await api("POST", `/admin/users/${u.id}/approve`); reload(); }, { cls: "good", label: `Approve ${u.email}` }));
  if (u.role !== "ADMIN") acts.push(...accountActions(u, reload));
  const kids = u.children || [];
  return h("li", { class: "family" + (pending ? " pending" : ""), "data-user": u.id },
    h("p", {}, h("strong", {}, u.display_name), " · ", h("code", {}, u.email), " ", badges, h("span", { class: "muted small" }, ` · #${u.id}`)),
    u.role === "CHILD" ? h("p", { class: "small" }, "Child of ", h("strong", {}, u.parent_display_name || "a deleted account")) : null,
    pending ? h("p", { class: "small muted" }, `Signed up ${when(u.created_at)} · ${u.email_verified ? "email confirmed" : "email not confirmed yet"}`) : null,
    h("div", { class: "row" }, acts),
    u.role === "PARENT" ? (kids.length
      ? h("ul", { class: "children", "aria-label": `Children of ${u.display_name}` }, kids.map(k => childRow(k, reload)))
      : h("p", { class: "small muted" }, "No children yet.")) : null);
}

// childRow is a child beneath their parent.
function childRow(k, reload) {
  const child = { ...k, role: "CHILD" };
  return h("li", { "data-user": k.id },
    h("p", {}, h("strong", {}, k.display_name), " · ", h("code", {}, k.login), " ", h("span", { class: "badge" }, "child"),
      k.suspended ? [" ", h("span", { class: "badge bad" }, "suspended")] : null, h("span", { class: "muted small" }, ` · #${k.id}`)),
    h("div", { class: "row" }, accountActions(child, reload)));
}

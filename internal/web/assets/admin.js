// The admin's pages: parents to approve, users, the report queue and the
// audit log.
import { h, replace, when } from "./dom.js";
import { api, q } from "./api.js";
import { field, form, action, showError, clearErrors } from "./forms.js";
import { section, empty } from "./ui.js";
import { EventType } from "./events.js";

export function adminPending(ctx) {
  ctx.title = "Parents to approve";
  const s = section({
    title: "Parents waiting for approval",
    level: "h1",
    load: () => api("GET", "/admin/users" + q({ role: "PARENT", approved: "false", limit: 200 })),
    render: (page, reload) => page.items.length === 0 ? empty("Nobody is waiting.")
      : h("ul", { class: "list" }, page.items.map(u => h("li", {},
        h("p", {}, h("strong", {}, u.display_name), " · ", u.email, h("span", { class: "muted small" }, " · signed up " + when(u.created_at))),
        // Approval does not wait for the link (docs/security.md); the admin sees it.
        h("p", { class: "small " + (u.email_verified ? "ok-msg" : "muted") }, u.email_verified ? "✔ Email confirmed" : "Email not confirmed yet"),
        h("div", { class: "row" },
          action("Approve", async () => { await api("POST", `/admin/users/${u.id}/approve`); reload(); }, { cls: "good", label: `Approve ${u.email}` }),
          action("Reject", async () => { await api("POST", `/admin/users/${u.id}/reject`); reload(); },
            { cls: "ghost", label: `Reject ${u.email}`, confirm: `Reject and remove ${u.email}'s account?`, yes: "Yes, reject" }))))),
  });
  ctx.poll = () => s.reload();
  ctx.refresh = () => s.force();
  return s;
}

// pager lists pages of an endpoint with a "More" button.
function pager(target, path, render, moreText) {
  let cursor = null;
  const err = h("p", { class: "error box", role: "alert" });
  const more = h("button", { class: "btn small ghost", type: "button", hidden: true }, moreText || "Load more");
  const body = h("div", {}, h("p", { class: "loading" }, "Loading…"));
  const load = async (first) => {
    more.disabled = true;
    try {
      const page = await api("GET", path + (cursor && !first ? "&cursor=" + encodeURIComponent(cursor) : ""));
      err.textContent = "";
      render(body, page.items, first);
      cursor = page.next_cursor;
      more.hidden = !cursor;
    } catch (e) {
      err.textContent = e.message;
      if (first) replace(body);
    }
    more.disabled = false;
  };
  more.addEventListener("click", () => load(false));
  replace(target, err, body, more);
  return load(true);
}

export function adminUsers(ctx) {
  ctx.title = "Users";
  const results = h("div");
  let path = "";
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
      path = "/admin/users" + q({ q: v.q.trim(), role: v.role, approved: v.approved, limit: 50 });
      if (!path.includes("?")) path += "?";
      await list();
    },
  });
  const list = () => pager(results, path, (body, items, first) => {
    if (first && !items.length) { replace(body, empty("No users match.")); return; }
    let ul = body.querySelector("ul");
    if (first || !ul) { ul = h("ul", { class: "list" }); replace(body, ul); }
    for (const u of items) ul.append(userRow(u, list));
  });
  path = "/admin/users?limit=50";
  list();
  ctx.refresh = list;
  return h("div", {}, h("h1", {}, "Users"), h("section", { class: "card", "aria-label": "Search" }, search), h("section", { class: "card", "aria-label": "Results" }, results));
}

function userRow(u, reload) {
  const badges = [h("span", { class: "badge" }, u.role.toLowerCase())];
  if (u.suspended) badges.push(h("span", { class: "badge bad" }, "suspended"));
  if (u.role === "PARENT" && !u.approved_by_admin) badges.push(h("span", { class: "badge wait" }, "waiting"));
  const acts = [];
  if (u.role !== "ADMIN") {
    if (u.suspended) acts.push(action("Reinstate", async () => { await api("POST", `/admin/users/${u.id}/reinstate`); reload(); }, { cls: "good", label: `Reinstate ${u.email}` }));
    else acts.push(action("Suspend", async () => { await api("POST", `/admin/users/${u.id}/suspend`); reload(); },
      { cls: "ghost", label: `Suspend ${u.email}`, confirm: `Suspend ${u.email}? They are logged out at once.`, yes: "Yes, suspend" }));
    acts.push(action("Delete", async () => { await api("DELETE", `/admin/users/${u.id}`); reload(); },
      { cls: "bad", label: `Delete ${u.email}`, confirm: `Delete ${u.email} for good?${u.role === "PARENT" ? " Their children are deleted too." : ""}`, yes: "Yes, delete" }));
  }
  return h("li", {},
    h("p", {}, h("strong", {}, u.display_name), " · ", h("code", {}, u.email), " ", badges, h("span", { class: "muted small" }, ` · #${u.id}`)),
    h("div", { class: "row" }, acts));
}

export function adminReports(ctx) {
  ctx.title = "Reports";
  const results = h("div");
  let status = "open";
  const pick = field({ name: "status", label: "Show", options: [["open", "Open reports"], ["resolved", "Resolved reports"]] });
  pick.input.addEventListener("change", () => { status = pick.input.value; list(); });
  const list = () => pager(results, "/admin/reports" + q({ status, limit: 50 }), (body, items, first) => {
    if (first && !items.length) { replace(body, empty(status === "open" ? "No open reports." : "No resolved reports.")); return; }
    let ul = body.querySelector("ul");
    if (first || !ul) { ul = h("ul", { class: "list" }); replace(body, ul); }
    for (const r of items) ul.append(reportRow(r, list));
  });
  list();
  ctx.onevent = (ev) => { if (ev.type === EventType.reportFiled) list(); };
  ctx.poll = () => { if (status === "open" && !results.querySelector(".confirm:not([hidden])")) list(); };
  ctx.refresh = list;
  return h("div", {}, h("h1", {}, "Reports"), h("section", { class: "card", "aria-label": "Filter" }, pick), h("section", { class: "card", "aria-label": "Report queue" }, results));
}

function reportRow(r, reload) {
  const m = r.message;
  const content = !m ? "(message gone)" : m.content ? `“${m.content}”` : m.deleted ? "(deleted message)" : `(${m.type} message)`;
  const acts = r.status === "open" ? [
    action("Dismiss", async () => { await api("POST", `/admin/reports/${r.id}/resolve`, { resolution: "dismissed" }); reload(); }, { cls: "ghost", label: `Dismiss report ${r.id}` }),
    action("Delete message", async () => { await api("POST", `/admin/reports/${r.id}/resolve`, { resolution: "message_deleted" }); reload(); },
      { cls: "bad", label: `Delete message of report ${r.id}`, confirm: "Delete this message for everyone?", yes: "Yes, delete it" }),
  ] : [h("span", { class: "badge" }, `resolved: ${r.resolution}`)];
  return h("li", {},
    h("p", {}, h("strong", {}, content)),
    m && m.media_url && m.type === "image" ? h("img", { class: "media", src: m.media_url, alt: "Reported photo", width: 160 }) : null,
    h("p", { class: "small" }, "Reason: ", r.reason || "(none)", h("span", { class: "muted" },
      ` · report #${r.id} · chat #${r.conversation_id} · sender #${m ? m.sender_id : "?"} · by #${r.reporter_id ?? "?"} · ${when(r.created_at)}`)),
    h("div", { class: "row" }, acts));
}

export function adminAudit(ctx) {
  ctx.title = "Audit log";
  const results = h("div");
  const toRFC = (v, name) => {
    if (!v) return "";
    const d = new Date(v);
    if (isNaN(d)) { const e = new Error("Not a date and time."); e.field = name; throw e; }
    return d.toISOString().replace(/\.\d{3}Z$/, "Z");
  };
  const filters = form({
    label: "Filter the audit log",
    cls: "filters",
    fields: [
      field({ name: "action", label: "Action", hint: "e.g. user.approve" }),
      field({ name: "actor_id", label: "Actor id", inputmode: "numeric" }),
      field({ name: "entity_type", label: "Entity type", hint: "e.g. user" }),
      field({ name: "entity_id", label: "Entity id", inputmode: "numeric" }),
      field({ name: "since", label: "From", type: "datetime-local" }),
      field({ name: "until", label: "Until", type: "datetime-local" }),
    ],
    submit: "Apply filters",
    onsubmit: async (v) => {
      const params = { action: v.action.trim(), actor_id: v.actor_id.trim(), entity_type: v.entity_type.trim(), entity_id: v.entity_id.trim(),
        since: toRFC(v.since, "since"), until: toRFC(v.until, "until"), limit: 50 };
      await list(params);
    },
  });
  const list = async (params) => {
    // Probe first so that a bad filter shows next to its field.
    const path = "/admin/audit-logs" + q(params);
    try {
      await api("GET", path);
    } catch (e) {
      clearErrors(filters);
      showError(filters, e);
      return;
    }
    return pager(results, path, (body, items, first) => {
      if (first && !items.length) { replace(body, empty("No audit entries match.")); return; }
      let tb = body.querySelector("tbody");
      if (first || !tb) {
        tb = h("tbody");
        replace(body, h("div", { class: "scroll" }, h("table", {},
          h("caption", { class: "muted small" }, "Newest first"),
          h("thead", {}, h("tr", {}, ["When", "Actor", "Action", "Entity", "IP", "Before", "After"].map(t => h("th", { scope: "col" }, t)))), tb)));
      }
      for (const a of items) tb.append(h("tr", {},
        h("td", {}, when(a.created_at)), h("td", {}, "#" + a.actor_id), h("td", {}, h("strong", {}, a.action)),
        h("td", {}, `${a.entity_type}${a.entity_id ? " #" + a.entity_id : ""}`), h("td", {}, a.ip || ""),
        h("td", {}, a.before_json ? h("code", {}, JSON.stringify(a.before_json)) : ""),
        h("td", {}, a.after_json ? h("code", {}, JSON.stringify(a.after_json)) : "")));
    }, "Older entries");
  };
  list({ limit: 50 });
  ctx.refresh = () => list({ limit: 50 });
  return h("div", {}, h("h1", {}, "Audit log"), h("section", { class: "card", "aria-label": "Filters" }, filters), h("section", { class: "card", "aria-label": "Entries" }, results));
}

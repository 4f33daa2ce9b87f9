// The admin's pages: parents to approve (here), and from admin/: users as
// families (users.js), the report queue with names and context
// (reports.js), the audit log as sentences (audit.js, sentences.js).
import { h, when } from "./dom.js";
import { api, q } from "./api.js";
import { action } from "./forms.js";
import { section, empty } from "./ui.js";

export { adminUsers } from "./admin/users.js";
export { adminReports } from "./admin/reports.js";
export { adminAudit } from "./admin/audit.js";

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

// The admin's pages: parents to approve (here), and from admin/: users as
// families (users.js), the report queue with names and context
// (reports.js), the audit log as sentences (audit.js, sentences.js).
import { h, when } from "./dom.js";
import { api, q } from "./api.js";
import { action } from "./forms.js";
import { section, empty } from "./ui.js";
import { t } from "./i18n.js";

export { adminUsers } from "./admin/users.js";
export { adminReports } from "./admin/reports.js";
export { adminAudit } from "./admin/audit.js";

export function adminPending(ctx) {
  ctx.title = t("admin.pending_title");
  const s = section({
    title: t("admin.pending_heading"),
    level: "h1",
    load: () => api("GET", "/admin/users" + q({ role: "PARENT", approved: "false", limit: 200 })),
    render: (page, reload) => page.items.length === 0 ? empty(t("admin.nobody_waiting"))
      : h("ul", { class: "list" }, page.items.map(u => h("li", {},
        h("p", {}, h("strong", {}, u.display_name), " · ", u.email, h("span", { class: "muted small" }, t("admin.signed_up", { when: when(u.created_at) }))),
        // Approval does not wait for the link (docs/security.md); the admin sees it.
        h("p", { class: "small " + (u.email_verified ? "ok-msg" : "muted") }, u.email_verified ? "✔ " + t("admin.email_confirmed") : t("admin.email_unconfirmed")),
        h("div", { class: "row" },
          action(t("admin.approve"), async () => { await api("POST", `/admin/users/${u.id}/approve`); reload(); }, { cls: "good", label: t("admin.approve_label", { email: u.email }) }),
          action(t("admin.reject"), async () => { await api("POST", `/admin/users/${u.id}/reject`); reload(); },
            { cls: "ghost", label: t("admin.reject_label", { email: u.email }), confirm: t("admin.reject_confirm", { email: u.email }), yes: t("admin.reject_yes") }))))),
  });
  ctx.poll = () => s.reload();
  ctx.refresh = () => s.force();
  return s;
}

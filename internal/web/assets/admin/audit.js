// The audit log as sentences with names (sentences.js), newest first,
// each with its raw entry behind a disclosure; filters as before.
import { h, replace, when } from "../dom.js";
import { api, q } from "../api.js";
import { field, form, showError, clearErrors } from "../forms.js";
import { empty } from "../ui.js";
import { pager, listIn } from "./pager.js";
import { sentence } from "./sentences.js";
import { t } from "../i18n.js";

export function adminAudit(ctx) {
  ctx.title = t("admin.audit");
  const results = h("div");
  const filters = form({
    label: t("admin.audit_filter"),
    cls: "filters",
    fields: [
      field({ name: "action", label: t("admin.f_action"), hint: t("admin.f_example", { example: "user.approve" }) }),
      field({ name: "actor_id", label: t("admin.f_actor"), inputmode: "numeric" }),
      field({ name: "entity_type", label: t("admin.f_entity_type"), hint: t("admin.f_example", { example: "user" }) }),
      field({ name: "entity_id", label: t("admin.f_entity_id"), inputmode: "numeric" }),
      field({ name: "since", label: t("admin.f_from"), type: "datetime-local" }),
      field({ name: "until", label: t("admin.f_until"), type: "datetime-local" }),
    ],
    submit: t("admin.apply"),
    onsubmit: async (v) => {
      await list({ action: v.action.trim(), actor_id: v.actor_id.trim(), entity_type: v.entity_type.trim(), entity_id: v.entity_id.trim(),
        since: toRFC(v.since, "since"), until: toRFC(v.until, "until"), limit: 50 });
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
    return pager(results, path, (body, page, first) => {
      if (first && !page.items.length) { replace(body, empty(t("admin.no_entries"))); return; }
      const ul = listIn(body, first, "list audit");
      for (const a of page.items) ul.append(entry(a, page.names));
    }, t("admin.older"));
  };
  list({ limit: 50 });
  ctx.refresh = () => list({ limit: 50 });
  return h("div", {}, h("h1", {}, t("admin.audit")),
    h("section", { class: "card", "aria-label": t("admin.filters") }, h("details", { class: "filter-box" }, h("summary", {}, t("admin.filters")), filters)),
    h("section", { class: "card", "aria-label": t("admin.entries") }, h("p", { class: "muted small" }, t("admin.newest")), results));
}

// toRFC turns a datetime-local value into the RFC 3339 time the API reads.
function toRFC(v, name) {
  if (!v) return "";
  const d = new Date(v);
  if (isNaN(d)) { const e = new Error(t("admin.not_date")); e.field = name; throw e; }
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

// entry is one audit entry: its sentence, when and from where, and the
// raw record behind a disclosure.
function entry(a, names) {
  const raw = { action: a.action, actor_id: a.actor_id, entity_type: a.entity_type, entity_id: a.entity_id,
    before_json: a.before_json, after_json: a.after_json };
  return h("li", { "data-action": a.action, "data-id": a.id },
    h("p", { class: "sentence" }, sentence(a, names)),
    h("p", { class: "muted small" }, `${when(a.created_at)} · ${a.action}${a.ip ? " · " + a.ip : ""} · #${a.id}`),
    h("details", { class: "raw" }, h("summary", {}, t("admin.raw")), h("pre", {}, JSON.stringify(raw, null, 1))));
}

// The audit log as sentences with names (sentences.js), newest first,
// each with its raw entry behind a disclosure; filters as before.
import { h, replace, when } from "../dom.js";
import { api, q } from "../api.js";
import { field, form, showError, clearErrors } from "../forms.js";
import { empty } from "../ui.js";
import { pager, listIn } from "./pager.js";
import { sentence } from "./sentences.js";

export function adminAudit(ctx) {
  ctx.title = "Audit log";
  const results = h("div");
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
      if (first && !page.items.length) { replace(body, empty("No audit entries match.")); return; }
      const ul = listIn(body, first, "list audit");
      for (const a of page.items) ul.append(entry(a, page.names));
    }, "Older entries");
  };
  list({ limit: 50 });
  ctx.refresh = () => list({ limit: 50 });
  return h("div", {}, h("h1", {}, "Audit log"),
    h("section", { class: "card", "aria-label": "Filters" }, h("details", { class: "filter-box" }, h("summary", {}, "Filters"), filters)),
    h("section", { class: "card", "aria-label": "Entries" }, h("p", { class: "muted small" }, "Newest first"), results));
}

// toRFC turns a datetime-local value into the RFC 3339 time the API reads.
function toRFC(v, name) {
  if (!v) return "";
  const d = new Date(v);
  if (isNaN(d)) { const e = new Error("Not a date and time."); e.field = name; throw e; }
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
    h("details", { class: "raw" }, h("summary", {}, "Raw entry"), h("pre", {}, JSON.stringify(raw, null, 1))));
}

// Reports as a parent reads them (GET /reports, the activity dashboard and
// the report.* events all give the same view, docs/web.md): one list item
// per report, saying how it concerns them, where it stands, and the chat.
import { h, when } from "./dom.js";
import { empty } from "./ui.js";
import { t, k } from "./i18n.js";

const outcome = { dismissed: k("report.dismissed"), message_deleted: k("report.message_deleted") };

// reportWho says whose report it is, as the reader's relation has it.
function reportWho(r, name) {
  if (r.relation === "filed_by_you") return t("report.by_you");
  if (r.relation === "filed_by_child") return t("report.by_child", { name });
  return t("report.about_child", { name });
}

// reportStatus is the report's state as a badge.
export function reportStatus(r) {
  return r.status === "open"
    ? h("span", { class: "badge wait" }, t("report.open"))
    : h("span", { class: "badge" }, outcome[r.resolution] ? t(outcome[r.resolution]) : t("report.resolved"));
}

// reportList draws reports concerning child childID (named name), or
// emptyText when there are none.
export function reportList(reports, childID, name, emptyText) {
  if (reports.length === 0) return empty(emptyText);
  return h("ul", { class: "list reports" }, reports.map(r => h("li", { "data-report": r.id },
    h("p", {}, reportWho(r, name), " ", reportStatus(r), h("span", { class: "muted small" }, " · " + when(r.created_at))),
    r.reason ? h("p", { class: "small" }, t("report.reason_given"), " “", r.reason, "”") : null,
    h("a", { href: `#/child/${childID}/chat/${r.conversation_id}` }, t("report.read_chat")))));
}

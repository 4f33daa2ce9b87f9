// The report queue: each report as a card that names the reporter and the
// sender with their families, gives the reporter's reason, shows the
// reported message among the five before and after it in its chat (GET
// /admin/reports/{id}), lists the earlier reports about the sender, and
// offers the three decisions (dismiss, delete the message, suspend the
// sender), each with an optional note for the audit log.
import { h, replace, when } from "../dom.js";
import { api, q } from "../api.js";
import { field, action } from "../forms.js";
import { empty, photo } from "../ui.js";
import { EventType } from "../events.js";
import { pager, listIn } from "./pager.js";
import { personName, personLine } from "./people.js";
import { t, k } from "../i18n.js";

const pageSize = 10; // each card loads its chat: a short page

export function adminReports(ctx) {
  ctx.title = t("admin.reports");
  const results = h("div");
  let status = "open";
  let shown = "";
  const pick = field({ name: "status", label: t("admin.show"), options: [["open", t("admin.open_reports")], ["resolved", t("admin.resolved_reports")]] });
  pick.input.addEventListener("change", () => { status = pick.input.value; list(); });
  const path = () => "/admin/reports" + q({ status, limit: pageSize });
  const list = () => pager(results, path(), (body, page, first) => {
    if (first) shown = page.items.map(r => r.id).join();
    if (first && !page.items.length) { replace(body, empty(status === "open" ? t("admin.no_open") : t("admin.no_resolved"))); return; }
    const ul = listIn(body, first, "list report-queue");
    for (const r of page.items) ul.append(reportCard(r, list));
  }, t("admin.more_reports"));
  // A moderator reading a chat or writing a note is not interrupted: the
  // queue redraws only when its first page changed and nobody is busy in it.
  const busy = () => results.contains(document.activeElement) ||
    [...results.querySelectorAll("textarea")].some(t => t.value) || !!results.querySelector(".confirm:not([hidden])");
  const refreshIfNew = async () => {
    if (status !== "open" || busy()) return;
    const page = await api("GET", path());
    if (page.items.map(r => r.id).join() !== shown && !busy()) list();
  };
  list();
  ctx.onevent = (ev) => { if (ev.type === EventType.reportFiled) refreshIfNew().catch(() => {}); };
  ctx.poll = () => refreshIfNew().catch(() => {});
  ctx.refresh = list;
  return h("div", {}, h("h1", {}, t("admin.reports")), h("section", { class: "card", "aria-label": t("admin.filter") }, pick),
    h("section", { class: "card", "aria-label": t("admin.queue") }, results));
}

const outcome = { dismissed: k("admin.outcome_dismissed"), message_deleted: k("admin.outcome_deleted") };
const outcomeText = (resolution) => outcome[resolution] ? t(outcome[resolution]) : resolution;

// reportCard is one report, its chat loaded after it is drawn.
function reportCard(r, reload) {
  const sender = personName(r.sender);
  const chat = h("div", { class: "mod-chat" }, h("p", { class: "loading" }, t("admin.loading_chat")));
  const earlier = h("div", {});
  const card = h("li", { class: "report-card", "data-report": r.id },
    h("h2", { class: "report-title" }, t("admin.reported_title", { reporter: personName(r.reporter), sender })),
    h("dl", { class: "who" },
      h("dt", {}, t("admin.reported_by")), h("dd", {}, personLine(r.reporter)),
      h("dt", {}, t("admin.sent_by")), h("dd", {}, personLine(r.sender)),
      h("dt", {}, t("admin.reason")), h("dd", { class: "reason" }, r.reason ? `“${r.reason}”` : t("admin.none_given"))),
    h("p", { class: "small" }, r.sender_earlier_reports
      ? h("strong", {}, t("admin.earlier", { count: r.sender_earlier_reports, sender }))
      : t("admin.no_earlier", { sender })),
    chat, earlier,
    r.status === "open" ? decide(r, reload) : h("p", {}, h("span", { class: "badge" }, t("admin.resolved_badge", { outcome: outcomeText(r.resolution) }))),
    h("p", { class: "muted small" }, t("admin.report_footer", { id: r.id, chat: r.conversation_id, when: when(r.created_at) })));
  api("GET", `/admin/reports/${r.id}`).then(d => {
    replace(chat, chatAround(d));
    replace(earlier, earlierReports(d.earlier_reports, d.sender_earlier_reports, sender));
  }).catch(e => replace(chat, h("p", { class: "error", role: "alert" }, e.message)));
  return card;
}

// chatAround is the reported message with the messages around it, as a
// list of the chat's lines, the reported one marked.
function chatAround(d) {
  const name = (id) => personName(d.people[id]);
  return [h("h3", { class: "small" }, t("admin.around")),
    h("ol", { class: "mod-context", "aria-label": t("admin.around_label", { id: d.id }) }, d.context.map(m => {
      const reported = m.id === d.message_id;
      return h("li", { class: reported ? "reported" : "", "aria-current": reported ? "true" : null },
        h("p", { class: "small" }, h("strong", {}, name(m.sender_id)), h("span", { class: "muted" }, " · " + when(m.created_at)),
          reported ? [" ", h("span", { class: "badge bad" }, t("admin.reported"))] : null,
          m.deleted ? [" ", h("span", { class: "badge" }, t("gallery.deleted"))] : null),
        messageBody(m, name));
    }))];
}

// systemWords are the server's own chat lines (chat/messages.js says them
// to children; here briefly).
const systemWords = { member_added: k("admin.sys_joined"), member_removed: k("admin.sys_removed"), member_left: k("admin.sys_left"),
  renamed: k("admin.sys_renamed"), conversation_frozen: k("admin.sys_frozen"), conversation_unfrozen: k("admin.sys_unfrozen") };

// messageBody is what a context message says or shows: photos as their
// thumbnail, opening whole on a tap.
function messageBody(m, name) {
  if (m.type === "image" && m.media_url) {
    return photo({ thumb: m.media_thumb_url, full: m.media_url, width: m.media_width, height: m.media_height,
      alt: t("chat.photo_from", { name: name(m.sender_id) }), side: 140 });
  }
  if (m.type === "audio" && m.media_url) {
    return h("audio", { controls: true, preload: "none", src: m.media_url, "aria-label": t("chat.voice_from", { name: name(m.sender_id) }) });
  }
  if (m.type === "system") {
    let e = {};
    try { e = JSON.parse(m.content || "{}"); } catch { /* shown as a notice */ }
    const who = e.user_id ? name(e.user_id) + " " : "";
    return h("p", { class: "muted small" }, `(${who}${systemWords[e.event] ? t(systemWords[e.event]) : t("admin.sys_other")})`);
  }
  return h("p", { class: "said" }, m.content ?? t("admin.no_text"));
}

// earlierReports lists the last few reports about the sender before this one.
function earlierReports(list, count, sender) {
  if (!list || !list.length) return null;
  return h("details", { class: "earlier" },
    h("summary", {}, t("admin.earlier_summary", { sender, count: String(count) })),
    h("ul", { class: "list" }, list.map(e => h("li", { class: "small" },
      h("p", {}, h("strong", {}, personName(e.reporter)), ": ", e.reason ? `“${e.reason}”` : t("admin.no_reason"),
        h("span", { class: "muted" }, ` · ${when(e.created_at)} · ${e.status === "open" ? t("admin.open") : outcomeText(e.resolution)}`)),
      h("p", { class: "said" }, t("admin.message_prefix"), e.message && e.message.content ? `“${e.message.content}”` : `(${e.message ? e.message.type : t("admin.gone")})`)))));
}

// decide is the note and the three decisions on an open report.
function decide(r, reload) {
  const note = field({ name: "note", label: t("admin.note"), multiline: true, maxlength: 500 });
  const resolve = async (body) => {
    note.err.textContent = "";
    note.input.removeAttribute("aria-invalid");
    try {
      await api("POST", `/admin/reports/${r.id}/resolve`, { ...body, note: note.input.value.trim() });
    } catch (e) {
      if (e.field === "note") { note.err.textContent = e.message; note.input.setAttribute("aria-invalid", "true"); }
      throw e;
    }
    reload();
  };
  const s = r.sender;
  const suspendable = s && !s.deleted && !s.suspended && s.role !== "ADMIN";
    return h("div", { class: "decide" }, note, h("div", { class: "row" },
    action(t("admin.dismiss"), () => resolve({ resolution: "dismissed" }), { cls: "ghost", label: t("admin.dismiss_label", { id: r.id }) }),
    action(t("admin.delete_message"), () => resolve({ resolution: "message_deleted" }),
      { cls: "bad", label: t("admin.delete_message_label", { id: r.id }), confirm: t("admin.delete_message_confirm"), yes: t("admin.delete_message_yes") }),
    suspendable ? action(t("admin.suspend_label", { who: s.display_name }), () => resolve({ resolution: "message_deleted", suspend_sender: true }),
      { cls: "bad", label: t("admin.suspend_report_label", { who: s.display_name, id: r.id }),
        confirm: s.role === "PARENT" ? t("admin.suspend_delete_confirm_parent", { who: s.display_name }) : t("admin.suspend_delete_confirm", { who: s.display_name }),
        yes: t("admin.suspend_yes") }) : null));
}

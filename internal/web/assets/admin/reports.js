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

const pageSize = 10; // each card loads its chat: a short page

export function adminReports(ctx) {
  ctx.title = "Reports";
  const results = h("div");
  let status = "open";
  let shown = "";
  const pick = field({ name: "status", label: "Show", options: [["open", "Open reports"], ["resolved", "Resolved reports"]] });
  pick.input.addEventListener("change", () => { status = pick.input.value; list(); });
  const path = () => "/admin/reports" + q({ status, limit: pageSize });
  const list = () => pager(results, path(), (body, page, first) => {
    if (first) shown = page.items.map(r => r.id).join();
    if (first && !page.items.length) { replace(body, empty(status === "open" ? "No open reports." : "No resolved reports.")); return; }
    const ul = listIn(body, first, "list report-queue");
    for (const r of page.items) ul.append(reportCard(r, list));
  }, "More reports");
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
  return h("div", {}, h("h1", {}, "Reports"), h("section", { class: "card", "aria-label": "Filter" }, pick),
    h("section", { class: "card", "aria-label": "Report queue" }, results));
}

const outcome = { dismissed: "dismissed", message_deleted: "message deleted" };

// reportCard is one report, its chat loaded after it is drawn.
function reportCard(r, reload) {
  const sender = personName(r.sender);
  const chat = h("div", { class: "mod-chat" }, h("p", { class: "loading" }, "Loading the chat…"));
  const earlier = h("div", {});
  const card = h("li", { class: "report-card", "data-report": r.id },
    h("h2", { class: "report-title" }, `${personName(r.reporter)} reported ${sender}`),
    h("dl", { class: "who" },
      h("dt", {}, "Reported by"), h("dd", {}, personLine(r.reporter)),
      h("dt", {}, "Sent by"), h("dd", {}, personLine(r.sender)),
      h("dt", {}, "Reason"), h("dd", { class: "reason" }, r.reason ? `“${r.reason}”` : "(none given)")),
    h("p", { class: "small" }, r.sender_earlier_reports
      ? h("strong", {}, `${r.sender_earlier_reports} earlier ${r.sender_earlier_reports === 1 ? "report" : "reports"} about ${sender}`)
      : `No earlier reports about ${sender}.`),
    chat, earlier,
    r.status === "open" ? decide(r, reload) : h("p", {}, h("span", { class: "badge" }, "resolved: " + (outcome[r.resolution] || r.resolution))),
    h("p", { class: "muted small" }, `Report #${r.id} · chat #${r.conversation_id} · ${when(r.created_at)}`));
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
  return [h("h3", { class: "small" }, "The chat around it"),
    h("ol", { class: "mod-context", "aria-label": `The chat around report ${d.id}` }, d.context.map(m => {
      const reported = m.id === d.message_id;
      return h("li", { class: reported ? "reported" : "", "aria-current": reported ? "true" : null },
        h("p", { class: "small" }, h("strong", {}, name(m.sender_id)), h("span", { class: "muted" }, " · " + when(m.created_at)),
          reported ? [" ", h("span", { class: "badge bad" }, "reported")] : null,
          m.deleted ? [" ", h("span", { class: "badge" }, "deleted")] : null),
        messageBody(m, name));
    }))];
}

// systemWords are the server's own chat lines (chat/messages.js says them
// to children; here briefly).
const systemWords = { member_added: "joined", member_removed: "was removed", member_left: "left", renamed: "renamed the group",
  conversation_frozen: "the chat was paused", conversation_unfrozen: "the chat is back on" };

// messageBody is what a context message says or shows: photos as their
// thumbnail, opening whole on a tap.
function messageBody(m, name) {
  if (m.type === "image" && m.media_url) {
    return photo({ thumb: m.media_thumb_url, full: m.media_url, width: m.media_width, height: m.media_height,
      alt: `Photo from ${name(m.sender_id)}`, side: 140 });
  }
  if (m.type === "audio" && m.media_url) {
    return h("audio", { controls: true, preload: "none", src: m.media_url, "aria-label": `Voice message from ${name(m.sender_id)}` });
  }
  if (m.type === "system") {
    let e = {};
    try { e = JSON.parse(m.content || "{}"); } catch { /* shown as a notice */ }
    const who = e.user_id ? name(e.user_id) + " " : "";
    return h("p", { class: "muted small" }, `(${who}${systemWords[e.event] || "chat notice"})`);
  }
  return h("p", { class: "said" }, m.content ?? "(no text)");
}

// earlierReports lists the last few reports about the sender before this one.
function earlierReports(list, count, sender) {
  if (!list || !list.length) return null;
  return h("details", { class: "earlier" },
    h("summary", {}, `Earlier reports about ${sender} (${count})`),
    h("ul", { class: "list" }, list.map(e => h("li", { class: "small" },
      h("p", {}, h("strong", {}, personName(e.reporter)), ": ", e.reason ? `“${e.reason}”` : "(no reason)",
        h("span", { class: "muted" }, ` · ${when(e.created_at)} · ${e.status === "open" ? "open" : outcome[e.resolution] || e.resolution}`)),
      h("p", { class: "said" }, "Message: ", e.message && e.message.content ? `“${e.message.content}”` : `(${e.message ? e.message.type : "gone"})`)))));
}

// decide is the note and the three decisions on an open report.
function decide(r, reload) {
  const note = field({ name: "note", label: "Note for the audit log (optional)", multiline: true, maxlength: 500 });
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
  const family = s && s.role === "PARENT" ? " Their children cannot log in while it lasts." : "";
  return h("div", { class: "decide" }, note, h("div", { class: "row" },
    action("Dismiss", () => resolve({ resolution: "dismissed" }), { cls: "ghost", label: `Dismiss report ${r.id}` }),
    action("Delete message", () => resolve({ resolution: "message_deleted" }),
      { cls: "bad", label: `Delete message of report ${r.id}`, confirm: "Delete this message for everyone?", yes: "Yes, delete it" }),
    suspendable ? action(`Suspend ${s.display_name}`, () => resolve({ resolution: "message_deleted", suspend_sender: true }),
      { cls: "bad", label: `Suspend ${s.display_name} (report ${r.id})`,
        confirm: `Suspend ${s.display_name} and delete this message? They are logged out at once.${family}`, yes: "Yes, suspend" }) : null));
}

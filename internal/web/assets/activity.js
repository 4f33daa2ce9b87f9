// The parent's activity dashboard for one child (docs/controls.md): who
// they chatted with in the last 30 days, new friends, reports, photos,
// sleep-mode changes and what the password guard stopped.
import { h, replace, uid, when } from "./dom.js";
import { api } from "./api.js";
import { empty, icon } from "./ui.js";
import { reportList } from "./reports.js";
import { EventType, isContactEvent, isReportEvent } from "./events.js";
import { t, formatDate } from "./i18n.js";

const day = (iso) => formatDate(new Date(iso));

// card is one titled card of the dashboard.
function card(title, content, cls) {
  const hid = uid("act");
  return h("section", { class: "card " + (cls || ""), "aria-labelledby": hid }, h("h2", { id: hid }, title), content);
}

// activityCards are the dashboard's cards for activity a of child id
// (named who), read by parent meID.
function activityCards(a, id, who, meID) {
  return [
    card(t("activity.who_chats", { name: who }), contactsTable(a, who)),
    h("div", { class: "grid" }, card(t("activity.new_friends"), newContacts(a)), card(t("nav.reports"), reportList(a.reports, id, who, t("parent.no_reports", { name: who })))),
    h("div", { class: "grid" }, card(t("activity.photos"), imageCounts(a, who)), card(t("activity.sleep_changes"), sleepChanges(a, meID))),
    card(t("activity.guard"), leakHits(a, id, who), "leaks"),
  ];
}

function contactsTable(a, who) {
  if (a.contacts.length === 0) return empty(t("activity.no_chats", { name: who }));
  return h("div", { class: "scroll" }, h("table", {},
    h("caption", { class: "sr" }, t("activity.caption", { name: who })),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("activity.person")), h("th", { scope: "col" }, t("activity.messages")), h("th", { scope: "col" }, t("activity.last_contact")))),
    h("tbody", {}, a.contacts.map(c => h("tr", {}, h("th", { scope: "row" }, c.display_name), h("td", {}, String(c.messages)),
      h("td", {}, h("time", { datetime: c.last_contact_at }, when(c.last_contact_at))))))));
}

function newContacts(a) {
  if (a.new_contacts.length === 0) return empty(t("activity.no_new_friends"));
  return h("ul", { class: "list" }, a.new_contacts.map(k => h("li", {},
    h("strong", {}, k.other_display_name), " ",
    k.status === "approved" ? h("span", { class: "badge" }, t("activity.friends")) : h("span", { class: "badge wait" }, t("activity.request_waiting")),
    k.blocked ? [" ", h("span", { class: "badge bad" }, t("child.blocked"))] : null,
    h("span", { class: "muted small" }, " · " + day(k.created_at)))));
}

function imageCounts(a, who) {
  return h("div", {},
    h("p", { class: "stats" },
      h("span", { class: "stat" }, icon("camera"), h("strong", {}, String(a.images.sent)), " " + t("activity.sent_by", { name: who })),
      h("span", { class: "stat" }, icon("camera"), h("strong", {}, String(a.images.received)), " " + t("activity.received"))),
    a.images.sent + a.images.received === 0 ? empty(t("activity.no_photos")) : null);
}

function sleepChanges(a, meID) {
  if (a.sleep_mode_changes.length === 0) return empty(t("activity.no_sleep_changes"));
  return h("ul", { class: "list" }, a.sleep_mode_changes.map(c => h("li", {},
    c.action === "sleep_mode.clear" ? t("activity.sleep_off") : t("activity.sleep_set"),
    " " + (c.actor_id === meID ? t("activity.by_you") : t("activity.by_other")),
    h("span", { class: "muted small" }, " · " + when(c.at)))));
}

function leakHits(a, id, who) {
  if (a.leak_guard_hits.length === 0) return empty(t("activity.no_leaks"));
  return h("ul", { class: "list" }, a.leak_guard_hits.map(x => h("li", {},
    h("p", {}, icon("shield"), t("activity.stopped_before", { name: who }), h("strong", {}, x.game_name), t("activity.stopped_after", { name: who }),
      h("span", { class: "muted small" }, " · " + when(x.at))),
    x.conversation_id ? h("a", { href: `#/child/${id}/chat/${x.conversation_id}` }, t("activity.open_chat")) : null)));
}

// activityPage is the dashboard of child id, read again when what it
// counts changed.
export function activityPage(ctx, id) {
  ctx.title = t("parent.activity");
  let name = t("notice.your_child");
  const heading = h("h1", {}, t("parent.activity"));
  const period = h("p", { class: "muted" });
  const err = h("p", { class: "error box", role: "alert" });
  const body = h("div", {}, h("p", { class: "loading" }, t("ui.loading")));
  const root = h("div", { class: "activity" }, h("p", {}, h("a", { href: `#/child/${id}` }, t("activity.back"))), heading, period, err, body);
  let last = "";

  function render(a) {
    replace(body, activityCards(a, id, name, ctx.me.user.id));
  }

  async function load() {
    try {
      const a = await api("GET", `/children/${id}/activity`);
      if (!ctx.alive) return;
      err.textContent = "";
      period.textContent = t("activity.period", { from: day(a.since), to: day(a.until) });
      const sig = JSON.stringify(a.contacts) + JSON.stringify([a.new_contacts, a.reports, a.images, a.sleep_mode_changes, a.leak_guard_hits]);
      if (sig === last) return;
      last = sig;
      render(a);
    } catch (e) {
      err.textContent = e.message;
      if (!last) replace(body);
    }
  }

  api("GET", "/children").then(page => {
    const c = page.items.find(x => x.user.id === id);
    if (!c) { err.textContent = t("parent.not_your_child"); replace(body); return; }
    name = c.profile.display_name;
    heading.textContent = t("activity.title", { name });
    ctx.title = heading.textContent;
    document.title = ctx.title + " · Pixel Pals";
    load();
  }).catch(e => { err.textContent = e.message; replace(body); });

  // Live: what the dashboard counts changed; read it again, at most every 2 s.
  let pending = 0;
  const soon = () => { if (!pending) pending = setTimeout(() => { pending = 0; if (ctx.alive) load(); }, 2000); };
  ctx.onevent = (ev) => {
    if (ev.type === EventType.leakGuardBlocked || ev.type === EventType.sleepModeChanged || isReportEvent(ev)) load();
    else if (isContactEvent(ev) || ev.type === EventType.messageCreated) soon();
  };
  ctx.poll = () => load();
  ctx.refresh = () => { last = ""; load(); };
  const prev = ctx.cleanup;
  ctx.cleanup = () => { clearTimeout(pending); if (prev) prev(); };
  return root;
}

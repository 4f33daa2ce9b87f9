// The parent's activity dashboard for one child (docs/controls.md): who
// they chatted with in the last 30 days, new friends, reports, photos,
// sleep-mode changes and what the password guard stopped.
import { h, replace, uid, when } from "./dom.js";
import { api } from "./api.js";
import { empty, icon } from "./ui.js";
import { reportList } from "./reports.js";
import { EventType, isContactEvent, isReportEvent } from "./events.js";

const day = (iso) => new Date(iso).toLocaleDateString([], { dateStyle: "medium" });

// card is one titled card of the dashboard.
function card(title, content, cls) {
  const hid = uid("act");
  return h("section", { class: "card " + (cls || ""), "aria-labelledby": hid }, h("h2", { id: hid }, title), content);
}

// activityCards are the dashboard's cards for activity a of child id
// (named who), read by parent meID.
function activityCards(a, id, who, meID) {
  return [
    card(`Who ${who} chats with`, contactsTable(a, who)),
    h("div", { class: "grid" }, card("New friends and requests", newContacts(a)), card("Reports", reportList(a.reports, id, who, `No reports by or about ${who}.`))),
    h("div", { class: "grid" }, card("Photos", imageCounts(a, who)), card("Sleep mode changes", sleepChanges(a, meID))),
    card("Password guard", leakHits(a, id, who), "leaks"),
  ];
}

function contactsTable(a, who) {
  if (a.contacts.length === 0) return empty(`${who} has not chatted with anyone in the last 30 days.`);
  return h("div", { class: "scroll" }, h("table", {},
    h("caption", { class: "sr" }, `Messages ${who} exchanged, per person`),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Person"), h("th", { scope: "col" }, "Messages"), h("th", { scope: "col" }, "Last contact"))),
    h("tbody", {}, a.contacts.map(c => h("tr", {}, h("th", { scope: "row" }, c.display_name), h("td", {}, String(c.messages)),
      h("td", {}, h("time", { datetime: c.last_contact_at }, when(c.last_contact_at))))))));
}

function newContacts(a) {
  if (a.new_contacts.length === 0) return empty("No new friends or friend requests.");
  return h("ul", { class: "list" }, a.new_contacts.map(k => h("li", {},
    h("strong", {}, k.other_display_name), " ",
    k.status === "approved" ? h("span", { class: "badge" }, "friends") : h("span", { class: "badge wait" }, "request waiting"),
    k.blocked ? [" ", h("span", { class: "badge bad" }, "blocked")] : null,
    h("span", { class: "muted small" }, " · " + day(k.created_at)))));
}

function imageCounts(a, who) {
  return h("div", {},
    h("p", { class: "stats" },
      h("span", { class: "stat" }, icon("camera"), h("strong", {}, String(a.images.sent)), ` sent by ${who}`),
      h("span", { class: "stat" }, icon("camera"), h("strong", {}, String(a.images.received)), " received")),
    a.images.sent + a.images.received === 0 ? empty("No photos sent or received.") : null);
}

function sleepChanges(a, meID) {
  if (a.sleep_mode_changes.length === 0) return empty("No changes to sleep mode.");
  return h("ul", { class: "list" }, a.sleep_mode_changes.map(c => h("li", {},
    c.action === "sleep_mode.clear" ? "Sleep mode turned off" : "Sleep mode set",
    c.actor_id === meID ? " by you" : " by another grown-up",
    h("span", { class: "muted small" }, " · " + when(c.at)))));
}

function leakHits(a, id, who) {
  if (a.leak_guard_hits.length === 0) return empty("The password guard has not had to stop any message.");
  return h("ul", { class: "list" }, a.leak_guard_hits.map(x => h("li", {},
    h("p", {}, icon("shield"), `Stopped a message with ${who}'s `, h("strong", {}, x.game_name), " password",
      h("span", { class: "muted small" }, " · " + when(x.at))),
    x.conversation_id ? h("a", { href: `#/child/${id}/chat/${x.conversation_id}` }, "Open the chat it was for") : null)));
}

// activityPage is the dashboard of child id, read again when what it
// counts changed.
export function activityPage(ctx, id) {
  ctx.title = "Activity";
  let name = "Your child";
  const heading = h("h1", {}, "Activity");
  const period = h("p", { class: "muted" });
  const err = h("p", { class: "error box", role: "alert" });
  const body = h("div", {}, h("p", { class: "loading" }, "Loading…"));
  const root = h("div", { class: "activity" }, h("p", {}, h("a", { href: `#/child/${id}` }, "← Back")), heading, period, err, body);
  let last = "";

  function render(a) {
    replace(body, activityCards(a, id, name, ctx.me.user.id));
  }

  async function load() {
    try {
      const a = await api("GET", `/children/${id}/activity`);
      if (!ctx.alive) return;
      err.textContent = "";
      period.textContent = `The last 30 days: ${day(a.since)} to ${day(a.until)}.`;
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
    if (!c) { err.textContent = "This child is not in your family (any more)."; replace(body); return; }
    name = c.profile.display_name;
    heading.textContent = `${name}'s activity`;
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

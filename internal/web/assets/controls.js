// Parental controls (docs/controls.md) in the browser: a child blocks a
// contact; a parent sets sleep mode, reads the activity dashboard and is
// told when the password guard stopped a message.
import { h, replace, uid, when } from "./dom.js";
import { api } from "./api.js";
import { field, form, action, clearErrors } from "./forms.js";
import { empty, icon } from "./ui.js";
import { clock } from "./sleep.js";
import { reportList, isReportEvent } from "./reports.js";

// confirmDialog asks in a modal <dialog> (Escape or Cancel closes it) and
// runs run() on yes, showing its failure inside the dialog.
export function confirmDialog({ title, lines, yes, run, opener }) {
  const hid = uid("dlg");
  const err = h("p", { class: "error box", role: "alert" });
  const yesBtn = h("button", { class: "btn bad", type: "button" }, yes);
  const noBtn = h("button", { class: "btn ghost", type: "button" }, "Cancel");
  const d = h("dialog", { class: "card dialog", "aria-labelledby": hid },
    h("h2", { id: hid }, title), lines.map(t => h("p", {}, t)), err, h("div", { class: "row" }, yesBtn, noBtn));
  document.body.append(d);
  noBtn.addEventListener("click", () => d.close());
  d.addEventListener("close", () => { d.remove(); if (opener && opener.isConnected) opener.focus(); });
  yesBtn.addEventListener("click", async () => {
    yesBtn.disabled = true;
    err.textContent = "";
    try {
      await run();
      d.close();
    } catch (e) {
      err.textContent = (e && e.message) || String(e);
    } finally {
      yesBtn.disabled = false;
    }
  });
  d.showModal();
  noBtn.focus();
  return d;
}

// blockButton lets a child block contact k with the other child other.
export function blockButton(k, other, done) {
  const btn = h("button", { class: "btn small ghost", type: "button", "aria-label": `Block ${other.display_name}` }, icon("block"), "Block");
  btn.addEventListener("click", () => confirmDialog({
    title: `Block ${other.display_name}?`,
    lines: [
      `You and ${other.display_name} will not be able to send each other messages: not in your chat, and not in any group you share.`,
      `Only your parent can unblock ${other.display_name}. Your parent will be told that you blocked them.`,
    ],
    yes: `Yes, block ${other.display_name}`,
    opener: btn,
    run: async () => { await api("POST", `/contacts/${k.id}/block`); done(); },
  }));
  return btn;
}

// blockState is how a blocked link reads for viewerChild (the child
// themself, or the child whose parent is looking).
export function blockState(k, viewerChild, asParent) {
  const other = k.children.find(c => c.child_id !== viewerChild) || k.children[0];
  const mine = k.children.find(c => c.child_id === viewerChild) || {};
  if (k.blocked_by === viewerChild) {
    return asParent ? `${mine.display_name} blocked ${other.display_name}. Their chats are paused until you unblock.`
      : `You blocked ${other.display_name}. Only your parent can unblock.`;
  }
  return asParent ? `${other.display_name} blocked ${mine.display_name}. Only ${other.display_name}'s parent can unblock.`
    : `${other.display_name} blocked this friendship, so your chats are paused.`;
}

// --- Sleep mode settings (parent) ---

function zones(extra) {
  let list = [];
  try { list = Intl.supportedValuesOf("timeZone"); } catch { list = []; }
  const set = new Set(list);
  for (const z of extra) if (z) set.add(z);
  return [...set].sort();
}

export function browserZone() {
  try { return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"; } catch { return "UTC"; }
}

// sleepState describes a schedule's state now for the parent.
function sleepStateText(s, name) {
  if (!s) return `Off. ${name} can chat at any time.`;
  const where = ` (${s.time_zone} time)`;
  if (s.asleep && s.ends_at) return `On. ${name} is in quiet time now, until ${clock(s.ends_at, s.time_zone)}${where}.`;
  if (s.next_start) return `On. The next quiet time starts ${clock(s.next_start, s.time_zone)}${where}.`;
  return "On.";
}

function span(key, legend, def, s) {
  const cur = s ? s[key] : def;
  const on = h("input", { type: "checkbox", id: uid(key + "-on"), name: key + ".on" });
  on.checked = !!cur;
  const start = field({ name: key + ".start", label: "From", type: "time", value: (cur || def).start, required: true });
  const end = field({ name: key + ".end", label: "Until", type: "time", value: (cur || def).end, required: true });
  const sync = () => { start.input.disabled = end.input.disabled = !on.checked; };
  on.addEventListener("change", sync);
  sync();
  const times = h("div", { class: "times" });
  const fs = h("fieldset", { class: "span" }, h("legend", {}, legend),
    h("div", { class: "check" }, on, h("label", { for: on.id }, "Quiet time on these nights")), times);
  // place() puts the times in their group once form() has taken them.
  const place = () => times.append(start, end);
  return { fs, on, start, end, place, value: () => on.checked ? { start: start.input.value, end: end.input.value } : null };
}

// sleepSettings is the parent's sleep-mode card for child id.
export function sleepSettings(ctx, id, name) {
  const hid = uid("sleep-h");
  const state = h("p", { class: "banner night", role: "status" }, "Loading…");
  const err = h("p", { class: "error box", role: "alert" });
  const body = h("div");
  const card = h("section", { class: "card sleep-settings", "aria-labelledby": hid },
    h("h2", { id: hid }, icon("moon"), "Sleep mode"),
    h("p", { class: "small" }, `Quiet hours when ${name} cannot send messages. Times are in the time zone you pick; a time “until” before “from” runs past midnight.`),
    state, err, body);
  let current;
  let shown = "";

  function draw(s) {
    current = s;
    replace(state, icon("moon"), sleepStateText(s, name));
    const sig = JSON.stringify(s && [s.time_zone, s.weekday, s.weekend, s.allow_parent_messages]);
    if (sig === shown) return;
    shown = sig;
    const tz = s ? s.time_zone : browserZone();
    // A text box with suggestions rather than a fixed list: browsers know
    // some zones by older names (Asia/Calcutta), and any IANA name the
    // server knows is fine.
    const listID = uid("zones");
    const zone = field({ name: "time_zone", label: "Time zone", value: tz, list: listID, autocomplete: "off", spellcheck: "false",
      autocapitalize: "none", required: true,
      hint: s ? "The family's time zone, as an IANA name such as Europe/Berlin." : "Your browser's time zone; type another IANA name (such as Europe/Berlin) if it is not yours." });
    zone.append(h("datalist", { id: listID }, zones([tz]).map(z => h("option", { value: z }))));
    const wd = span("weekday", "School nights (Sunday to Thursday)", { start: "20:30", end: "07:00" }, s);
    const we = span("weekend", "Weekend nights (Friday and Saturday)", { start: "21:30", end: "08:30" }, s);
    const allow = h("input", { type: "checkbox", role: "switch", id: uid("allow"), name: "allow_parent_messages" });
    allow.checked = s ? s.allow_parent_messages : true;
    const f = form({
      label: "Sleep mode settings",
      fields: [zone, wd.start, wd.end, we.start, we.end],
      submit: s ? "Save sleep mode" : "Turn sleep mode on",
      busy: "Saving…",
      onsubmit: async (_v, f) => {
        const saved = await api("PUT", `/children/${id}/sleep-mode`, {
          time_zone: zone.input.value, weekday: wd.value(), weekend: we.value(), allow_parent_messages: allow.checked,
        });
        shown = "";
        draw(saved);
        card.querySelector("form").ok.textContent = "Saved.";
      },
    });
    // Lay the fields out in their groups (they stay the form's fields,
    // so an error still shows under the one the server names).
    const row = f.querySelector(".row");
    f.insertBefore(zone, row);
    f.insertBefore(wd.fs, row);
    f.insertBefore(we.fs, row);
    wd.place();
    we.place();
    f.insertBefore(h("div", { class: "check" }, allow,
      h("label", { for: allow.id }, `Let ${name} write to you (their parent) during quiet time`)), row);
    if (s) {
      row.append(action("Turn sleep mode off", async () => {
        clearErrors(f);
        await api("DELETE", `/children/${id}/sleep-mode`);
        shown = "";
        draw(null);
        card.querySelector("form").ok.textContent = "Sleep mode is off.";
      }, { cls: "ghost" }));
    }
    replace(body, f);
  }

  // The state line follows the clock: it is read again when the quiet
  // time ends or starts, and at least every minute while shown.
  let timer = 0;
  card.reload = async () => {
    clearTimeout(timer);
    try {
      const s = await api("GET", `/children/${id}/sleep-mode`).catch(e => { if (e.status === 404) return null; throw e; });
      err.textContent = "";
      if (JSON.stringify(s) !== JSON.stringify(current)) draw(s);
    } catch (e) {
      err.textContent = e.message;
    }
    if (!ctx.alive) return;
    const at = current && (current.asleep ? current.ends_at : current.next_start);
    const wait = at ? Math.min(Math.max(new Date(at).getTime() - Date.now() + 500, 2000), 60000) : 60000;
    timer = setTimeout(() => { if (ctx.alive && card.isConnected) card.reload(); }, wait);
  };
  card.reload();
  return card;
}

// --- Activity dashboard (parent) ---

const day = (iso) => new Date(iso).toLocaleDateString([], { dateStyle: "medium" });

export function activityPage(ctx, id) {
  ctx.title = "Activity";
  let name = "Your child";
  const heading = h("h1", {}, "Activity");
  const period = h("p", { class: "muted" });
  const err = h("p", { class: "error box", role: "alert" });
  const body = h("div", {}, h("p", { class: "loading" }, "Loading…"));
  const root = h("div", { class: "activity" }, h("p", {}, h("a", { href: `#/child/${id}` }, "← Back")), heading, period, err, body);
  let last = "";

  const card = (title, content, cls) => {
    const hid = uid("act");
    return h("section", { class: "card " + (cls || ""), "aria-labelledby": hid }, h("h2", { id: hid }, title), content);
  };
  const chatLink = (cid, text) => cid ? h("a", { href: `#/child/${id}/chat/${cid}` }, text || "Read the chat") : null;

  function render(a) {
    const who = name;
    const contacts = a.contacts.length === 0 ? empty(`${who} has not chatted with anyone in the last 30 days.`)
      : h("div", { class: "scroll" }, h("table", {},
        h("caption", { class: "sr" }, `Messages ${who} exchanged, per person`),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Person"), h("th", { scope: "col" }, "Messages"), h("th", { scope: "col" }, "Last contact"))),
        h("tbody", {}, a.contacts.map(c => h("tr", {}, h("th", { scope: "row" }, c.display_name), h("td", {}, String(c.messages)),
          h("td", {}, h("time", { datetime: c.last_contact_at }, when(c.last_contact_at))))))));
    const links = a.new_contacts.length === 0 ? empty("No new friends or friend requests.")
      : h("ul", { class: "list" }, a.new_contacts.map(k => h("li", {},
        h("strong", {}, k.other_display_name), " ",
        k.status === "approved" ? h("span", { class: "badge" }, "friends") : h("span", { class: "badge wait" }, "request waiting"),
        k.blocked ? [" ", h("span", { class: "badge bad" }, "blocked")] : null,
        h("span", { class: "muted small" }, " · " + day(k.created_at)))));
    const reports = reportList(a.reports, id, who, `No reports by or about ${who}.`);
    const images = h("div", {},
      h("p", { class: "stats" },
        h("span", { class: "stat" }, icon("camera"), h("strong", {}, String(a.images.sent)), ` sent by ${who}`),
        h("span", { class: "stat" }, icon("camera"), h("strong", {}, String(a.images.received)), " received")),
      a.images.sent + a.images.received === 0 ? empty("No photos sent or received.") : null);
    const sleep = a.sleep_mode_changes.length === 0 ? empty("No changes to sleep mode.")
      : h("ul", { class: "list" }, a.sleep_mode_changes.map(c => h("li", {},
        c.action === "sleep_mode.clear" ? "Sleep mode turned off" : "Sleep mode set",
        c.actor_id === ctx.me.user.id ? " by you" : " by another grown-up",
        h("span", { class: "muted small" }, " · " + when(c.at)))));
    const leaks = a.leak_guard_hits.length === 0 ? empty("The password guard has not had to stop any message.")
      : h("ul", { class: "list" }, a.leak_guard_hits.map(x => h("li", {},
        h("p", {}, icon("shield"), `Stopped a message with ${who}'s `, h("strong", {}, x.game_name), " password",
          h("span", { class: "muted small" }, " · " + when(x.at))),
        chatLink(x.conversation_id, "Open the chat it was for"))));
    replace(body,
      card(`Who ${who} chats with`, contacts),
      h("div", { class: "grid" }, card("New friends and requests", links), card("Reports", reports)),
      h("div", { class: "grid" }, card("Photos", images), card("Sleep mode changes", sleep)),
      card("Password guard", leaks, "leaks"));
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
    if (ev.type === "leak_guard.blocked" || ev.type === "sleep_mode.changed" || isReportEvent(ev)) load();
    else if (ev.type.startsWith("contact.") || ev.type === "message.created") soon();
  };
  ctx.poll = () => load();
  ctx.refresh = () => { last = ""; load(); };
  const prev = ctx.cleanup;
  ctx.cleanup = () => { clearTimeout(pending); if (prev) prev(); };
  return root;
}

// --- Leak-guard notices (parent, every page) ---

// noticeText says what the guard stopped, once however often it did.
function noticeText(n, name) {
  const one = n.count === 1;
  return [icon("shield"), h("strong", {}, "Password guard: "),
    one ? `Pixel Pals stopped a message from ${name} because it had ${name}'s `
      : `Pixel Pals stopped ${n.count} messages from ${name} because they had ${name}'s `,
    h("strong", {}, n.game_name), one ? " password in it." : ` password in them (the last at ${when(n.last_at)}).`,
    " Nothing was sent. You may want to talk about keeping passwords secret."];
}

// leakNotices shows a parent's notices (GET /me/notices): one box per
// child and game, kept by the server until the parent dismisses it, so
// they survive a reload and follow the parent to another device. They are
// read again on leak_guard.blocked, notice.dismissed (another tab or
// device dismissed one) and resync.
export function leakNotices(getMe) {
  const el = h("aside", { class: "notices", "aria-label": "Notices" });
  let names = new Map();
  let shown = "";
  let seen = new Set();
  let gen = 0;
  const isParent = () => { const me = getMe(); return !!me && me.user.role === "PARENT" && me.user.approved_by_admin; };

  function box(n) {
    const name = names.get(n.child_id) || "Your child";
    const err = h("span", { class: "error small", role: "alert" });
    const dismiss = h("button", { class: "btn small ghost", type: "button", "aria-label": `Dismiss the ${n.game_name} notice about ${name}` }, "Dismiss");
    // Only a notice not shown before is announced.
    const b = h("div", { class: "notice leak", role: seen.has(n.id) ? null : "alert", "data-notice": n.id },
      h("p", {}, noticeText(n, name)),
      h("div", { class: "row" }, h("a", { class: "btn small", href: `#/child/${n.child_id}/activity` }, `See ${name}'s activity`), dismiss, err));
    dismiss.addEventListener("click", async () => {
      dismiss.disabled = true;
      err.textContent = "";
      try {
        await api("DELETE", `/me/notices/${n.id}`);
      } catch (e) {
        if (e.status !== 404) { err.textContent = e.message; dismiss.disabled = false; return; }
      }
      b.remove();
      load();
    });
    return b;
  }

  async function load() {
    if (!isParent()) return;
    const mine = ++gen;
    try {
      const page = await api("GET", "/me/notices");
      if (page.items.some(n => !names.has(n.child_id))) {
        names = new Map((await api("GET", "/children")).items.map(c => [c.user.id, c.profile.display_name]));
      }
      if (mine !== gen || !isParent()) return;
      const sig = JSON.stringify(page.items);
      if (sig === shown) return;
      shown = sig;
      replace(el, page.items.map(box));
      seen = new Set(page.items.map(n => n.id));
    } catch (e) {
      if (mine === gen && e.status !== 401) replace(el, h("p", { class: "notice error", role: "alert" }, "Could not load your notices: ", e.message));
      shown = "";
    }
  }

  return {
    el,
    load,
    onevent(ev) {
      if (ev.type === "leak_guard.blocked" || ev.type === "notice.dismissed" || ev.type === "resync") load();
    },
    clear() { gen++; el.replaceChildren(); shown = ""; seen = new Set(); names = new Map(); },
  };
}

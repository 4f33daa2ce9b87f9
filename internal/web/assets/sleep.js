// Sleep mode on the child's side (docs/controls.md): one watcher of
// GET /me/sleep-mode for the whole page, and the calm "Sleeping until 7:00"
// screen that replaces the composer and tops every page while it holds.
//
// The state is read on start, on every sleep_mode.changed event (and
// after a resync), and by itself when the quiet time ends (at ends_at) or
// starts (at next_start). A timer is never longer than a minute, so a
// browser clock that is off, or a change missed while offline, corrects
// itself soon.
import { h, replace, uid } from "./dom.js";
import { api } from "./api.js";
import { action } from "./forms.js";
import { t, language } from "./i18n.js";

const MAX_WAIT_MS = 60 * 1000;
const MIN_WAIT_MS = 2000;
const RETRY_MS = 30 * 1000;

// clock formats iso as "7:00" in time zone tz (the family's; the
// browser's when tz is empty), with the weekday in front when it is not
// within the next 20 hours ("Sat 9:00").
export function clock(iso, tz) {
  const d = new Date(iso);
  const opts = { hour: "2-digit", minute: "2-digit", hourCycle: "h23", weekday: "short" };
  if (tz) opts.timeZone = tz;
  // The weekday in the page's language ("Sat", "Sa", "sáb").
  const lang = language() === "en" ? "en-GB" : language();
  let parts;
  try { parts = new Intl.DateTimeFormat(lang, opts).formatToParts(d); }
  catch { delete opts.timeZone; parts = new Intl.DateTimeFormat(lang, opts).formatToParts(d); }
  const get = (type) => (parts.find(p => p.type === type) || {}).value || "";
  const time = `${Number(get("hour"))}:${get("minute")}`;
  const ahead = d.getTime() - Date.now();
  return ahead >= 0 && ahead < 20 * 3600 * 1000 ? time : `${get("weekday")} ${time}`;
}

class SleepWatch {
  constructor() {
    this.state = { asleep: false, ends_at: null, next_start: null, time_zone: null };
    this.subs = new Set();
    this.timer = 0;
    this.running = false;
    this.seq = 0;
  }

  start() {
    if (this.running) return;
    this.running = true;
    this.check();
  }

  stop() {
    this.running = false;
    clearTimeout(this.timer);
    this.seq++;
    this.set({ asleep: false, ends_at: null, next_start: null, time_zone: null });
  }

  // subscribe calls fn with the state now and on every change; it returns
  // the unsubscribe function.
  subscribe(fn) {
    this.subs.add(fn);
    fn(this.state);
    return () => this.subs.delete(fn);
  }

  async check() {
    if (!this.running) return;
    const mine = ++this.seq;
    clearTimeout(this.timer);
    let next = RETRY_MS;
    try {
      const st = await api("GET", "/me/sleep-mode");
      if (mine !== this.seq || !this.running) return;
      this.set(st);
      const at = st.asleep ? st.ends_at : st.next_start;
      next = at ? Math.min(Math.max(new Date(at).getTime() - Date.now() + 500, MIN_WAIT_MS), MAX_WAIT_MS) : MAX_WAIT_MS;
    } catch {
      if (mine !== this.seq) return;
      // Keep what we knew; the send refusal stands whatever the screen says.
    }
    this.timer = setTimeout(() => this.check(), next);
  }

  // checkSoon checks once after a burst of events (a waking socket
  // replays everything it held).
  checkSoon() {
    if (this.soon || !this.running) return;
    this.soon = setTimeout(() => { this.soon = 0; this.check(); }, 300);
  }

  // refused takes a 423 sleep_mode refusal of a send as the state now
  // (its ends_at), then asks the server for the rest.
  refused(err) {
    const ends = err.detail && err.detail.ends_at;
    this.set({ ...this.state, asleep: true, ends_at: ends || this.state.ends_at, next_start: null });
    this.check();
  }

  set(st) {
    const next = { asleep: !!st.asleep, ends_at: st.ends_at || null, next_start: st.next_start || null, time_zone: st.time_zone || null };
    if (JSON.stringify(next) === JSON.stringify(this.state)) return;
    this.state = next;
    for (const fn of this.subs) fn(next);
  }
}

export const sleepWatch = new SleepWatch();

// sleepScreen is the calm screen for state st. opts.compact is the one in
// place of a chat's composer; opts.message is the server's own words (of
// a refused send); opts.parentChat (an action button) offers the direct
// chat with the child's parent, which the schedule may still allow.
export function sleepScreen(st, opts = {}) {
  const hid = uid("sleep");
  const until = st.ends_at ? clock(st.ends_at, st.time_zone) : "";
  const title = until ? t("sleep.until", { until }) : t("sleep.sleeping");
  const parentBtn = opts.parentChat || null;
  return h("section", { class: "sleep card" + (opts.compact ? " compact" : ""), "aria-labelledby": hid, role: "status" },
    h("div", { class: "sky", "aria-hidden": "true" }, h("span", { class: "star s1" }), h("span", { class: "star s2" }), h("span", { class: "star s3" }),
      h("span", { class: "moon" })),
    h("div", { class: "sleep-text" },
      h("h2", { id: hid }, title),
      h("p", {}, opts.message || t("sleep.resting")),
      h("p", { class: "small" }, until ? t("sleep.ends_at", { until }) : t("sleep.ends")),
      parentBtn ? h("p", { class: "small" }, t("sleep.parent_allowed") + " ", parentBtn) : null));
}

// sleepTop is the sleep screen at the top of a child's page while asleep
// (the chat page has its own, in place of the composer).
export function sleepTop(ctx) {
  const slot = h("div");
  const parentID = ctx.me.user.parent_id;
  const unsub = sleepWatch.subscribe(st => {
    if (!st.asleep) { replace(slot); return; }
    const write = parentID ? action(t("sleep.write_parent"), async () => {
      const c = await api("POST", "/conversations", { member_ids: [parentID], is_group: false });
      ctx.go(`#/chat/${c.id}`);
    }, { cls: "ghost" }) : null;
    replace(slot, sleepScreen(st, { parentChat: write }));
  });
  const prev = ctx.cleanup;
  ctx.cleanup = () => { unsub(); if (prev) prev(); };
  return slot;
}

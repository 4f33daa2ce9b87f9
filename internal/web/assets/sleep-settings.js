// The parent's sleep-mode card (docs/controls.md): the schedule's state
// now, and the form that sets, changes or turns off quiet hours. The
// child's side (the sleep screen) is sleep.js.
import { h, replace, uid } from "./dom.js";
import { api } from "./api.js";
import { field, form, action, clearErrors } from "./forms.js";
import { icon } from "./ui.js";
import { clock } from "./sleep.js";
import { t } from "./i18n.js";

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
  if (!s) return t("sleepset.off", { name });
  const zone = s.time_zone;
  if (s.asleep && s.ends_at) return t("sleepset.on_now", { name, until: clock(s.ends_at, s.time_zone), zone });
  if (s.next_start) return t("sleepset.on_next", { at: clock(s.next_start, s.time_zone), zone });
  return t("sleepset.on");
}

function span(key, legend, def, s) {
  const cur = s ? s[key] : def;
  const on = h("input", { type: "checkbox", id: uid(key + "-on"), name: key + ".on" });
  on.checked = !!cur;
  const start = field({ name: key + ".start", label: t("sleepset.from"), type: "time", value: (cur || def).start, required: true });
  const end = field({ name: key + ".end", label: t("sleepset.until"), type: "time", value: (cur || def).end, required: true });
  const sync = () => { start.input.disabled = end.input.disabled = !on.checked; };
  on.addEventListener("change", sync);
  sync();
  const times = h("div", { class: "times" });
  const fs = h("fieldset", { class: "span" }, h("legend", {}, legend),
    h("div", { class: "check" }, on, h("label", { for: on.id }, t("sleepset.these_nights"))), times);
  // place() puts the times in their group once form() has taken them.
  const place = () => times.append(start, end);
  return { fs, on, start, end, place, value: () => on.checked ? { start: start.input.value, end: end.input.value } : null };
}

// zoneField is the time zone of schedule s (the browser's for a new one):
// a text box with suggestions rather than a fixed list, as browsers know
// some zones by older names (Asia/Calcutta), and any IANA name the server
// knows is fine.
function zoneField(s) {
  const tz = s ? s.time_zone : browserZone();
  const listID = uid("zones");
  const zone = field({ name: "time_zone", label: t("mail.zone"), value: tz, list: listID, autocomplete: "off", spellcheck: "false",
    autocapitalize: "none", required: true,
    hint: s ? t("sleepset.zone_family") : t("sleepset.zone_browser") });
  zone.append(h("datalist", { id: listID }, zones([tz]).map(z => h("option", { value: z }))));
  return zone;
}

// sleepForm sets schedule s of child id (named name), or turns it off;
// done(schedule, words) shows the schedule saved (null: off).
function sleepForm(s, id, name, done) {
  const zone = zoneField(s);
  const wd = span("weekday", t("sleepset.school_nights"), { start: "20:30", end: "07:00" }, s);
  const we = span("weekend", t("sleepset.weekend_nights"), { start: "21:30", end: "08:30" }, s);
  const allow = h("input", { type: "checkbox", role: "switch", id: uid("allow"), name: "allow_parent_messages" });
  allow.checked = s ? s.allow_parent_messages : true;
  const f = form({
    label: t("sleepset.settings"),
    fields: [zone, wd.start, wd.end, we.start, we.end],
    submit: s ? t("sleepset.save") : t("sleepset.turn_on"),
    busy: t("logins.saving"),
    onsubmit: async () => {
      const saved = await api("PUT", `/children/${id}/sleep-mode`, {
        time_zone: zone.input.value, weekday: wd.value(), weekend: we.value(), allow_parent_messages: allow.checked,
      });
      done(saved, t("language.saved"));
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
    h("label", { for: allow.id }, t("sleepset.allow_parent", { name }))), row);
  if (s) {
    row.append(action(t("sleepset.turn_off"), async () => {
      clearErrors(f);
      await api("DELETE", `/children/${id}/sleep-mode`);
      done(null, t("sleepset.is_off"));
    }, { cls: "ghost" }));
  }
  return f;
}

// sleepSettings is the parent's sleep-mode card for child id.
export function sleepSettings(ctx, id, name) {
  const hid = uid("sleep-h");
  const state = h("p", { class: "banner night", role: "status" }, t("ui.loading"));
  const err = h("p", { class: "error box", role: "alert" });
  const body = h("div");
  const card = h("section", { class: "card sleep-settings", "aria-labelledby": hid },
    h("h2", { id: hid }, icon("moon"), t("sleepset.title")),
    h("p", { class: "small" }, t("sleepset.intro", { name })),
    state, err, body);
  let current;
  let shown = "";

  function draw(s) {
    current = s;
    replace(state, icon("moon"), sleepStateText(s, name));
    const sig = JSON.stringify(s && [s.time_zone, s.weekday, s.weekend, s.allow_parent_messages]);
    if (sig === shown) return;
    shown = sig;
    replace(body, sleepForm(s, id, name, (saved, said) => {
      shown = "";
      draw(saved);
      card.querySelector("form").ok.textContent = said;
    }));
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

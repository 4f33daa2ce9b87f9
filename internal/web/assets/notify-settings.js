// A parent's mail settings (docs/notifications.md): per kind of
// notification at once, in the daily digest or off; the weekly summary;
// the time zone of the digest's hour. Route #/notifications.
import { h, uid } from "./dom.js";
import { api } from "./api.js";
import { field, form } from "./forms.js";
import { browserZone } from "./sleep-settings.js";
import { t, k } from "./i18n.js";

// The settable kinds, in the server's order, as a parent reads them.
const kinds = [
  ["contact_request", k("mail.kind.contact_request")],
  ["contact_approved", k("mail.kind.contact_approved")],
  ["contact_declined", k("mail.kind.contact_declined")],
  ["leak_guard", k("mail.kind.leak_guard")],
  ["report_by_child", k("mail.kind.report_by_child")],
  ["report_about_child", k("mail.kind.report_about_child")],
  ["report_resolved", k("mail.kind.report_resolved")],
  ["child_blocked", k("mail.kind.child_blocked")],
  ["child_was_blocked", k("mail.kind.child_was_blocked")],
  ["child_suspended", k("mail.kind.child_suspended")],
  ["child_deleted", k("mail.kind.child_deleted")],
];

const deliveries = [["now", k("mail.now")], ["daily", k("mail.daily")], ["off", k("mail.off")]];

function zoneField(tz) {
  const listID = uid("zones");
  let list = [];
  try { list = Intl.supportedValuesOf("timeZone"); } catch { list = []; }
  const zone = field({ name: "time_zone", label: t("mail.zone"), value: tz, list: listID, autocomplete: "off", spellcheck: "false",
    autocapitalize: "none", required: true, hint: t("mail.zone_hint") });
  zone.append(h("datalist", { id: listID }, [...new Set([tz, ...list])].sort().map(z => h("option", { value: z }))));
  return zone;
}

// settingsForm shows settings s and saves them all at once.
function settingsForm(s) {
  const options = deliveries.map(([v, key]) => [v, t(key)]);
  const selects = kinds.map(([kind, key]) => field({ name: kind, label: t(key), options, value: s[kind] }));
  // UTC is what the server says before anyone chose: offer the browser's.
  const zone = zoneField(s.time_zone === "UTC" ? browserZone() : s.time_zone);
  const weekly = h("input", { type: "checkbox", role: "switch", id: uid("weekly"), name: "weekly_summary" });
  weekly.checked = s.weekly_summary;
  const f = form({
    label: t("mail.settings"),
    fields: [...selects, zone],
    submit: t("mail.save"),
    busy: t("logins.saving"),
    onsubmit: async (v, f) => {
      const body = { weekly_summary: weekly.checked };
      for (const [kind] of kinds) body[kind] = v[kind];
      body.time_zone = v.time_zone.trim();
      await api("PUT", "/me/notification-settings", body);
      f.ok.textContent = t("language.saved");
    },
  });
  const row = f.querySelector(".row");
  f.insertBefore(h("fieldset", { class: "span" }, h("legend", {}, t("mail.what")), selects), row);
  f.insertBefore(h("fieldset", { class: "span" }, h("legend", {}, t("mail.digest_legend")), zone,
    h("div", { class: "check" }, weekly, h("label", { for: weekly.id }, t("mail.weekly")))), row);
  return f;
}

// notificationSettingsPage is the parent's mail settings page.
export function notificationSettingsPage(ctx) {
  ctx.title = t("mail.settings");
  const err = h("p", { class: "error box", role: "alert" });
  const body = h("div", {}, h("p", { role: "status" }, t("ui.loading")));
  (async () => {
    try {
      const s = await api("GET", "/me/notification-settings");
      body.replaceChildren(settingsForm(s));
    } catch (e) {
      err.textContent = e.message;
    }
  })();
  return h("div", {}, h("p", {}, h("a", { href: "#/" }, t("parent.all_children"))),
    h("h1", {}, t("mail.settings")),
    h("p", {}, t("mail.intro")),
    h("section", { class: "card" }, err, body));
}

// notificationsCard links to the mail settings from the parent's home.
export function notificationsCard() {
  return h("section", { class: "card", "aria-labelledby": "mail-link-h" },
    h("h2", { id: "mail-link-h" }, t("mail.card_title")),
    h("p", {}, t("mail.card_text")),
    h("a", { class: "btn", href: "#/notifications" }, t("mail.settings")));
}

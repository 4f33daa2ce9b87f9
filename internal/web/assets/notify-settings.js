// A parent's mail settings (docs/notifications.md): per kind of
// notification at once, in the daily digest or off; the weekly summary;
// the time zone of the digest's hour. Route #/notifications.
import { h, uid } from "./dom.js";
import { api } from "./api.js";
import { field, form } from "./forms.js";
import { browserZone } from "./sleep-settings.js";

// The settable kinds, in the server's order, as a parent reads them.
const kinds = [
  ["contact_request", "A friend request waits for your approval"],
  ["contact_approved", "A friend request was approved"],
  ["contact_declined", "A friend request was declined"],
  ["leak_guard", "The password guard stopped a message"],
  ["report_by_child", "Your child reported a message"],
  ["report_about_child", "A message your child sent was reported"],
  ["report_resolved", "A report was resolved"],
  ["child_blocked", "Your child blocked a contact"],
  ["child_was_blocked", "A contact blocked your child"],
  ["child_suspended", "Your child's account was suspended"],
  ["child_deleted", "Your child's account was deleted"],
];

const deliveries = [["now", "At once"], ["daily", "In the daily digest"], ["off", "Off"]];

function zoneField(tz) {
  const listID = uid("zones");
  let list = [];
  try { list = Intl.supportedValuesOf("timeZone"); } catch { list = []; }
  const zone = field({ name: "time_zone", label: "Time zone", value: tz, list: listID, autocomplete: "off", spellcheck: "false",
    autocapitalize: "none", required: true, hint: "The daily digest comes at 18:00 here, the weekly summary on Sundays at 18:00. An IANA name such as Europe/Berlin." });
  zone.append(h("datalist", { id: listID }, [...new Set([tz, ...list])].sort().map(z => h("option", { value: z }))));
  return zone;
}

// settingsForm shows settings s and saves them all at once.
function settingsForm(s) {
  const selects = kinds.map(([k, label]) => field({ name: k, label, options: deliveries, value: s[k] }));
  // UTC is what the server says before anyone chose: offer the browser's.
  const zone = zoneField(s.time_zone === "UTC" ? browserZone() : s.time_zone);
  const weekly = h("input", { type: "checkbox", role: "switch", id: uid("weekly"), name: "weekly_summary" });
  weekly.checked = s.weekly_summary;
  const f = form({
    label: "Mail settings",
    fields: [...selects, zone],
    submit: "Save mail settings",
    busy: "Saving…",
    onsubmit: async (v, f) => {
      const body = { weekly_summary: weekly.checked };
      for (const [k] of kinds) body[k] = v[k];
      body.time_zone = v.time_zone.trim();
      await api("PUT", "/me/notification-settings", body);
      f.ok.textContent = "Saved.";
    },
  });
  const row = f.querySelector(".row");
  f.insertBefore(h("fieldset", { class: "span" }, h("legend", {}, "What to mail you"), selects), row);
  f.insertBefore(h("fieldset", { class: "span" }, h("legend", {}, "Daily digest and weekly summary"), zone,
    h("div", { class: "check" }, weekly, h("label", { for: weekly.id }, "Mail me a weekly summary of my children's activity (counts only)"))), row);
  return f;
}

// notificationSettingsPage is the parent's mail settings page.
export function notificationSettingsPage(ctx) {
  ctx.title = "Mail settings";
  const err = h("p", { class: "error box", role: "alert" });
  const body = h("div", {}, h("p", { role: "status" }, "Loading…"));
  (async () => {
    try {
      const s = await api("GET", "/me/notification-settings");
      body.replaceChildren(settingsForm(s));
    } catch (e) {
      err.textContent = e.message;
    }
  })();
  return h("div", {}, h("p", {}, h("a", { href: "#/" }, "← All children")),
    h("h1", {}, "Mail settings"),
    h("p", {}, "Choose which mails you get and when. Mails never contain messages: they tell you what happened and link here."),
    h("section", { class: "card" }, err, body));
}

// notificationsCard links to the mail settings from the parent's home.
export function notificationsCard() {
  return h("section", { class: "card", "aria-labelledby": "mail-link-h" },
    h("h2", { id: "mail-link-h" }, "Mails to you"),
    h("p", {}, "Friend requests, the password guard, reports: at once, in one daily digest, or not at all."),
    h("a", { class: "btn", href: "#/notifications" }, "Mail settings"));
}

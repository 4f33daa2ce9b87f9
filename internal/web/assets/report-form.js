// The one form for reporting a message to the moderators
// (POST /messages/{id}/report), used in a chat and in a parent's gallery.
import { h, replace } from "./dom.js";
import { api } from "./api.js";
import { field, form } from "./forms.js";
import { t } from "./i18n.js";

// openReportForm puts, in slot, a card titled title (a heading of level
// heading) with the quoted message (when quote is given) and the form;
// hint says who reads the report, thanks is said once it is sent, and
// onsent runs after that. Cancel empties the slot.
export function openReportForm(slot, { messageID, title, heading, quote, label, hint, thanks, onsent }) {
  const f = form({
    label,
    fields: [field({ name: "reason", label: t("report.reason"), multiline: true, maxlength: 500, hint })],
    submit: t("report.send"),
    busy: t("child.sending"),
    onsubmit: async (v) => {
      await api("POST", `/messages/${messageID}/report`, { reason: v.reason.trim() });
      replace(slot, h("p", { class: "ok-msg", role: "status" }, thanks));
      if (onsent) onsent();
    },
  });
  const cancel = h("button", { class: "btn small ghost", type: "button", onclick: () => replace(slot) }, t("forms.cancel"));
  replace(slot, h("div", { class: "card" }, h(heading, {}, title), quote ? h("p", {}, quote) : null, f, cancel));
  f.querySelector("textarea").focus();
}

// The gallery (SPEC §6): every photo and voice clip the child sent or
// received, deleted ones marked, each with report and (for what the
// child sent: only a sender's parent may delete) delete controls.
import { h, when } from "../dom.js";
import { api } from "../api.js";
import { action } from "../forms.js";
import { section, empty, photo } from "../ui.js";
import { openReportForm } from "../report-form.js";
import { t } from "../i18n.js";

// galleryCard is child id's gallery; onreported runs once a report of one
// of its items was sent. It returns the element and its section (photos,
// for a refresh).
export function galleryCard(id, onreported) {
  const el = h("div");
  const reportSlot = h("div");
  const photos = section({
    title: t("gallery.title"),
    load: () => api("GET", `/children/${id}/media`),
    render: (page) => page.items.length === 0 ? empty(t("gallery.none"))
      : h("ul", { class: "list row gallery" }, page.items.map(m => galleryItem(m, {
        report: (label) => reportItem(reportSlot, m, label, onreported),
        deleted: () => photos.reload(),
      }))),
  });
  el.append(photos, reportSlot);
  return { el, photos };
}

// galleryItem is one photo or voice clip with its Report and (sent by
// the child) Delete buttons.
function galleryItem(m, on) {
  const what = m.type === "audio" ? t("gallery.voice") : t("gallery.photo");
  const params = { what, dir: m.sent ? t("gallery.sent_lc") : t("gallery.received_lc"), when: when(m.created_at) };
  const label = m.deleted ? t("gallery.deleted_item", params) : t("gallery.item", params);
  const src = m.media_url || `/api/v1/media/${m.media_id}`;
  const media = m.type === "audio"
    ? h("audio", { controls: true, preload: "metadata", src, "aria-label": label[0].toUpperCase() + label.slice(1) })
    : photo({ thumb: m.thumb_url, full: src, width: m.width, height: m.height, alt: label[0].toUpperCase() + label.slice(1),
      cls: m.deleted ? "deleted" : "", side: 160 });
  const acts = h("div", { class: "row" },
    h("button", { class: "btn small ghost", type: "button", "aria-label": t("gallery.report_label", { label }), onclick: () => on.report(label) }, t("gallery.report")));
  if (m.sent && !m.deleted) {
    acts.append(action(t("logins.delete"), async () => { await api("DELETE", `/messages/${m.message_id}`); on.deleted(); },
      { cls: "ghost", confirm: t("gallery.delete_confirm", { what }), yes: t("logins.delete_yes"), label: t("gallery.delete_label", { label }) }));
  }
  return h("li", { class: "gallery-item" }, media,
    h("p", { class: "small" }, m.deleted ? h("span", { class: "badge bad" }, t("gallery.deleted")) : null, " ", m.sent ? t("gallery.sent") : t("gallery.received"), " · ", when(m.created_at)),
    m.caption ? h("p", { class: "small" }, m.caption) : null, acts);
}

function reportItem(slot, m, label, onreported) {
  openReportForm(slot, {
    messageID: m.message_id,
    title: t("gallery.report_title", { label }),
    heading: "h3",
    label: t("gallery.report"),
    hint: t("gallery.report_hint"),
    thanks: t("gallery.report_thanks"),
    onsent: onreported,
  });
}

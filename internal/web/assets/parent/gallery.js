// The gallery (SPEC §6): every photo and voice clip the child sent or
// received, deleted ones marked, each with report and (for what the
// child sent: only a sender's parent may delete) delete controls.
import { h, when } from "../dom.js";
import { api } from "../api.js";
import { action } from "../forms.js";
import { section, empty, photo } from "../ui.js";
import { openReportForm } from "../report-form.js";

// galleryCard is child id's gallery; onreported runs once a report of one
// of its items was sent. It returns the element and its section (photos,
// for a refresh).
export function galleryCard(id, onreported) {
  const el = h("div");
  const reportSlot = h("div");
  const photos = section({
    title: "Photos and voice messages",
    load: () => api("GET", `/children/${id}/media`),
    render: (page) => page.items.length === 0 ? empty("No photos or voice messages yet.")
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
  const what = m.type === "audio" ? "Voice message" : "Photo";
  const label = `${m.deleted ? "Deleted " : ""}${what.toLowerCase()} ${m.sent ? "sent" : "received"} ${when(m.created_at)}`;
  const src = m.media_url || `/api/v1/media/${m.media_id}`;
  const media = m.type === "audio"
    ? h("audio", { controls: true, preload: "metadata", src, "aria-label": label[0].toUpperCase() + label.slice(1) })
    : photo({ thumb: m.thumb_url, full: src, width: m.width, height: m.height, alt: label[0].toUpperCase() + label.slice(1),
      cls: m.deleted ? "deleted" : "", side: 160 });
  const acts = h("div", { class: "row" },
    h("button", { class: "btn small ghost", type: "button", "aria-label": `Report ${label}`, onclick: () => on.report(label) }, "Report"));
  if (m.sent && !m.deleted) {
    acts.append(action("Delete", async () => { await api("DELETE", `/messages/${m.message_id}`); on.deleted(); },
      { cls: "ghost", confirm: `Delete this ${what.toLowerCase()}? Its chat will show it as deleted.`, yes: "Yes, delete", label: `Delete ${label}` }));
  }
  return h("li", { class: "gallery-item" }, media,
    h("p", { class: "small" }, m.deleted ? h("span", { class: "badge bad" }, "deleted") : null, " ", m.sent ? "Sent" : "Received", " · ", when(m.created_at)),
    m.caption ? h("p", { class: "small" }, m.caption) : null, acts);
}

function reportItem(slot, m, label, onreported) {
  openReportForm(slot, {
    messageID: m.message_id,
    title: `Report the ${label}`,
    heading: "h3",
    label: "Report",
    hint: "A moderator will read this.",
    thanks: "Reported. A moderator will look at it.",
    onsent: onreported,
  });
}

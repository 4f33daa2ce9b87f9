// Building blocks shared by the pages.
import { h, replace, uid } from "./dom.js";
import { t } from "./i18n.js";

// section is a card whose body is loaded by load() and drawn by render().
// reload() fetches again and redraws only when the data changed, so a
// refresh (live event or polling) does not disturb what has not changed.
// Loading, error and (through render) empty states are all shown.
export function section({ title, load, render, footer, level, cls }) {
  const hid = uid("h");
  const body = h("div", { class: "section-body" }, h("p", { class: "loading" }, t("ui.loading")));
  const err = h("p", { class: "error box", role: "alert" });
  let last = null;
  const card = h("section", { class: "card " + (cls || ""), "aria-labelledby": hid },
    h(level || "h2", { id: hid }, title), err, body, footer || null);
  card.reload = async () => {
    try {
      const data = await load();
      err.textContent = "";
      const sig = JSON.stringify(data);
      if (sig === last) return;
      last = sig;
      replace(body, render(data, card.reload));
    } catch (e) {
      err.textContent = e.message || String(e);
      if (last === null) replace(body);
    }
  };
  card.force = () => { last = null; return card.reload(); };
  card.reload();
  return card;
}

export function empty(text) { return h("p", { class: "empty" }, text); }

// defaultAvatar is the sprite shown for anyone without a picture we may
// show: none set, not (yet) a friend's, a deleted account.
export const defaultAvatar = new URL("./avatar.svg", import.meta.url).href;

// avatar is the profile picture of userID; the default sprite when the
// picture cannot be had (a 404 for a pending friend, no picture) or
// userID is 0 (a deleted account). It is decorative: the name is always
// written next to it.
export function avatar(userID, big) {
  const img = h("img", { class: big ? "avatar big" : "avatar", alt: "", width: big ? 96 : 40, height: big ? 96 : 40 });
  img.addEventListener("error", () => {
    if (img.src !== defaultAvatar) img.src = defaultAvatar;
  });
  img.src = userID ? `/api/v1/profiles/${userID}/avatar?size=thumb` : defaultAvatar;
  return img;
}

// photoBox is the size a photo of width × height is shown at: at most
// side on its long edge, the thumbnail's (320 px) three quarters, so it
// stays sharp on a phone. Unknown sizes give none: the image sizes
// itself as it loads.
function photoBox(width, height, side) {
  if (!width || !height) return {};
  const k = Math.min(1, side / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * k)), height: Math.max(1, Math.round(height * k)) };
}

// photo is a photo's thumbnail, its box reserved before it loads (width
// and height attributes: no layout shift), inside a button that opens
// the whole image in a modal dialog. thumb may be missing (an older
// client's data): the whole image is shown small then.
export function photo({ thumb, full, width, height, alt, cls, side }) {
  // A photo whose size is not known (an old message) gets a 4:3 box, so
  // it does not push the messages below it either when it arrives.
  const sized = width && height;
  const img = h("img", { class: "media" + (sized ? "" : " unsized") + (cls ? " " + cls : ""), src: thumb || full, alt, decoding: "async",
    ...photoBox(width, height, side || 240) });
  const btn = h("button", { class: "photo", type: "button", title: t("ui.open_photo") }, img);
  btn.addEventListener("click", () => openPhoto({ full, width, height, alt, opener: btn }));
  return btn;
}

// openPhoto shows the whole image in a modal dialog; Escape, Close or a
// tap on it closes it, and focus goes back to the thumbnail.
function openPhoto({ full, width, height, alt, opener }) {
  const close = h("button", { class: "btn small", type: "button" }, t("ui.close"));
  const big = h("img", { class: "full", src: full, alt, width, height });
  const d = h("dialog", { class: "card dialog photo-view", "aria-label": alt }, big, h("div", { class: "row" }, close));
  document.body.append(d);
  close.addEventListener("click", () => d.close());
  big.addEventListener("click", () => d.close());
  d.addEventListener("close", () => { d.remove(); if (opener.isConnected) opener.focus(); });
  d.showModal();
  close.focus();
}

// otherChild is the child in a contact link who is not childID.
export function otherChild(contact, childID) {
  return contact.children.find(c => c.child_id !== childID) || contact.children[0];
}

// deletedNameT is how a former member whose account was deleted is called,
// in the page's language.
export function deletedNameT() { return t("ui.deleted_account"); }

// convoName names a conversation for viewer (the people in it but them;
// "a deleted account" when the only other one was deleted).
export function convoName(c, viewerID) {
  if (c.is_group && c.title) return c.title;
  const others = c.members.filter(m => m.user_id !== viewerID).map(m => m.display_name);
  if (!others.length && (c.deleted_member_ids || []).length) return deletedNameT();
  return others.length ? others.join(", ") : t("ui.just_you");
}

// aloneAfterDeletion is true when viewerID is left alone in c because the
// others' accounts were deleted: nobody can write there any more.
export function aloneAfterDeletion(c, viewerID) {
  return (c.deleted_member_ids || []).length > 0 && c.members.every(m => m.user_id === viewerID);
}

// upperFirst starts a sentence with a capital.
export function upperFirst(s) { return s ? s[0].toUpperCase() + s.slice(1) : s; }

// icon is a decorative pixel icon (see style.css).
export function icon(name) { return h("span", { class: "icon icon-" + name, "aria-hidden": "true" }); }

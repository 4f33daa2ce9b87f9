// Building blocks shared by the pages.
import { h, replace, uid } from "./dom.js";
import { feature } from "./api.js";

// section is a card whose body is loaded by load() and drawn by render().
// reload() fetches again and redraws only when the data changed, so a
// refresh (live event or polling) does not disturb what has not changed.
// Loading, error and (through render) empty states are all shown.
export function section({ title, load, render, footer, level, cls }) {
  const hid = uid("h");
  const body = h("div", { class: "section-body" }, h("p", { class: "loading" }, "Loading…"));
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

// avatar is the profile picture of userID when the server has avatars,
// else nothing. It is decorative: the name is always written next to it.
export function avatar(userID, big) {
  const img = h("img", { class: big ? "avatar big" : "avatar", alt: "", width: big ? 96 : 40, height: big ? 96 : 40, hidden: true });
  feature("avatar").then(ok => {
    if (ok) { img.src = `/api/v1/profiles/${userID}/avatar`; img.hidden = false; }
  });
  return img;
}

// otherChild is the child in a contact link who is not childID.
export function otherChild(contact, childID) {
  return contact.children.find(c => c.child_id !== childID) || contact.children[0];
}

// convoName names a conversation for viewer (the people in it but them).
export function convoName(c, viewerID) {
  if (c.is_group && c.title) return c.title;
  const others = c.members.filter(m => m.user_id !== viewerID).map(m => m.display_name);
  return others.length ? others.join(", ") : "Just you";
}

// icon is a decorative pixel icon (see style.css).
export function icon(name) { return h("span", { class: "icon icon-" + name, "aria-hidden": "true" }); }

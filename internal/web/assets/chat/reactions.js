// Reactions on a message (docs/chat.md "Reactions"): the counts under it
// and, for a member, a React button that opens the six pixel-art choices.
// Each choice and each count is a toggle (aria-pressed: whether you
// reacted). Counts change live from message.reactions (chat/live.js →
// applyReactions), in place, so focus and scroll stay where they were.
import { h, replace, uid } from "../dom.js";
import { api } from "../api.js";
import { t, k } from "../i18n.js";

// KINDS are the reactions in the server's order (domain.ReactionKinds),
// with the words that name each picture.
export const KINDS = [
  ["heart", k("reaction.heart")], ["star", k("reaction.star")], ["laugh", k("reaction.laugh")],
  ["wow", k("reaction.wow")], ["sad", k("reaction.sad")], ["thumbs_up", k("reaction.thumbs_up")],
];
const word = (kind) => { const w = KINDS.find(([name]) => name === kind); return w ? t(w[1]) : kind; };

// shown holds, per chat, each message's bar as drawn: the message object
// (the history's own, so a later redraw shows what a live update set),
// its element, and whether its choices are open.
const shown = new WeakMap();
function bars(chat) {
  if (!shown.has(chat)) shown.set(chat, new Map());
  return shown.get(chat);
}

// reactionBar is the row under message m (sent by sender, in words).
// A deleted message has none for members (the server sends none).
export function reactionBar(m, chat, sender) {
  const el = h("div", { class: "reactions" });
  const bar = { m, el, sender, open: false, error: "" };
  bars(chat).set(m.id, bar);
  draw(bar, chat);
  return el;
}

// applyReactions shows the counts of a message.reactions event's data d.
export function applyReactions(chat, d) {
  const bar = bars(chat).get(d.message_id);
  if (!bar || !bar.el.isConnected) return;
  bar.m.reactions = d.reactions || [];
  draw(bar, chat);
}

// canReact: only a member of a chat that is not paused reacts (the server
// checks it too); parents reading their child's chat see the counts.
function canReact(chat, m) {
  return chat.convo && !chat.convo.read_only && !chat.convo.frozen && !m.deleted;
}

// draw (re)builds a bar, keeping the focus on the same control.
function draw(bar, chat) {
  const active = bar.el.contains(document.activeElement) ? document.activeElement.dataset.key : "";
  const rs = bar.m.reactions || [];
  const can = canReact(chat, bar.m);
  const counts = rs.map(r => can ? toggle("react-chip", r.kind, r.mine, r.count, bar, chat)
    : h("span", { class: "react-chip" }, pic(r.kind), h("span", { class: "sr" }, `${word(r.kind)}: `), h("span", { class: "react-n" }, String(r.count))));
  if (!can) {
    replace(bar.el, counts);
    return;
  }
  // The six choices are drawn only while open: drawn hidden under every
  // message they were most of a long chat's page (1,612 elements for 50
  // messages, docs/web.md "Lighthouse"). aria-controls names them only
  // while they exist.
  const pickerID = bar.open ? bar.pickerID || (bar.pickerID = uid("react")) : null;
  const add = h("button", { class: "react-add", type: "button", "data-key": "add", "aria-expanded": String(bar.open), "aria-controls": pickerID,
    onclick: () => { bar.open = !bar.open; bar.error = ""; draw(bar, chat); if (bar.open) first(bar); } },
  h("span", { class: "react-icon react-add-icon", "aria-hidden": "true" }), h("span", { class: "sr" }, bar.m.sender_id === chat.me.id ? t("reaction.react_mine") : t("reaction.react_to", { name: bar.sender })));
  const err = bar.error ? h("p", { class: "error react-error", role: "alert" }, bar.error) : null;
  replace(bar.el, counts, add, bar.open ? picker(bar, chat, pickerID) : null, err);
  if (active) focusKey(bar, active);
}

// picker is the open choices of a bar: a toggle for each kind, pressed
// for those you reacted with; Escape closes them, back on React.
function picker(bar, chat, id) {
  const mine = new Map((bar.m.reactions || []).map(r => [r.kind, r.mine]));
  return h("div", { class: "react-picker", id, role: "group", "aria-label": t("reaction.group"),
    onkeydown: (e) => { if (e.key === "Escape") { bar.open = false; draw(bar, chat); focusKey(bar, "add"); } } },
  KINDS.map(([kind]) => toggle("react-pick", kind, !!mine.get(kind), null, bar, chat)));
}

// toggle is one reaction button (with its count, unless null): pressed
// when you reacted with kind; pressing it puts the reaction on or takes
// it off. Its name is the word and the count ("Heart 2").
function toggle(cls, kind, pressed, count, bar, chat) {
  return h("button", { class: cls, type: "button", "data-key": `${cls}-${kind}`, "aria-pressed": String(pressed), title: word(kind),
    onclick: () => react(bar, chat, kind, !pressed) },
  pic(kind), h("span", { class: "sr" }, word(kind) + " "), count === null ? null : h("span", { class: "react-n" }, String(count)));
}

function pic(kind) { return h("span", { class: `react-icon react-${kind}`, "aria-hidden": "true" }); }

// react puts (on) or takes off a reaction and shows the answer; choosing
// from the open choices closes them, back on the React button.
async function react(bar, chat, kind, on) {
  const path = `/conversations/${chat.cid}/messages/${bar.m.id}/reactions/${kind}`;
  const fromPicker = bar.open;
  try {
    const d = await api(on ? "PUT" : "DELETE", path);
    bar.m.reactions = d.reactions;
    bar.error = "";
    bar.open = false;
  } catch (e) {
    bar.error = e.message;
  }
  draw(bar, chat);
  if (fromPicker && !bar.open) focusKey(bar, "add");
}

function focusKey(bar, key) {
  const el = bar.el.querySelector(`[data-key="${key}"]`) || bar.el.querySelector('[data-key="add"]');
  if (el) el.focus();
}

function first(bar) {
  const el = bar.el.querySelector(".react-pick");
  if (el) el.focus();
}

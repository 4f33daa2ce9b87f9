// The messages of one chat, oldest at the top: the latest page
// (GET /conversations/{id}/messages?limit=50), older pages as the reader
// scrolls up to the top of the list (an IntersectionObserver watches the
// "Load older messages" row there, which stays a button for keyboards and
// for browsers that do not scroll), and new ones as they come. The list
// is redrawn only when what it shows changed, stays scrolled to the bottom
// when it was there, and keeps what was in view in place when an older
// page goes in above it.
import { h, replace } from "../dom.js";
import { api } from "../api.js";
import { formerMembers, memberNames } from "./messages.js";
import { t } from "../i18n.js";

const PAGE = 50;
// The first drawing of a chat shows only about a phone's screenful of the
// newest messages (FIRST, or from the first unread one), so the chat
// paints sooner; the rest goes in above it after the first paint, CHUNK
// at a time, each in a task short enough not to keep a tap waiting
// (docs/web.md "Lighthouse").
const FIRST = 12;
const CHUNK = 10;
const later = window.requestIdleCallback ? (f) => requestIdleCallback(f, { timeout: 300 }) : (f) => setTimeout(f, 16);

// messageHistory keeps the messages of chat. item(m, who) draws one
// message; onerror(e) shows a failure to load older ones.
export function messageHistory(chat, { item, onerror }) {
  const msgs = new Map();
  let older = null; // cursor of the next older page
  let loading = false;
  let drawn = "";
  let loaded = false; // until then the list says "Loading messages…"
  const list = h("ol", { class: "messages", "aria-label": t("chat.messages"), tabindex: "0" }, h("li", { class: "loading" }, t("chat.loading")));
  const olderBtn = h("button", { class: "btn small ghost", type: "button" }, t("chat.load_older"));
  const olderRow = h("li", { class: "older" }, olderBtn);
  olderRow.hidden = true;

  // Drawn items are kept by id with what they showed, so a redraw (an
  // older page, a new message) draws only what is new or changed.
  const kept = new Map();
  let keptFor = "";

  let gen = 0; // counts drawings, so a rest still to come sees it is stale
  let first = true;

  function draw() {
    const convo = chat.convo;
    const items = [...msgs.values()].sort((a, b) => a.id - b.id);
    const who = memberNames(convo);
    const around = JSON.stringify([convo ? [convo.frozen, convo.read_only] : null, [...formerMembers(convo)], [...who]]);
    const sig = JSON.stringify(items.map(m => [m.id, m.deleted, m.content, m.media_url, m.reactions])) + around;
    if (sig === drawn) return;
    const from = first ? firstScreen(chat, items) : 0;
    first = false;
    // A first drawing left partial is not what sig says: any later
    // drawing (a new message, names) draws the whole list.
    drawn = from ? "partial" : sig;
    gen++;
    if (around !== keptFor) { kept.clear(); keptFor = around; }
    for (const id of kept.keys()) if (!msgs.has(id)) kept.delete(id);
    const itemOf = (m) => keptItem(m, who);
    drawList(list, olderRow, items.slice(from), chat, itemOf);
    if (from) later(() => drawRest(gen, items, from, itemOf, sig));
  }

  // keptItem is message m's item, drawn again only when it changed.
  function keptItem(m, who) {
    const key = JSON.stringify([m.deleted, m.content, m.media_url, m.reactions]);
    const k = kept.get(m.id);
    if (k && k.key === key) return k.li;
    const li = item(m, who);
    kept.set(m.id, { key, li });
    return li;
  }

  // drawRest puts items[0:from] in above the first drawing, newest first,
  // CHUNK a task, keeping in view what the reader sees (the bottom, or the
  // first unread message).
  function drawRest(of, items, from, itemOf, sig) {
    if (of !== gen) return; // drawn whole since
    const start = Math.max(from - CHUNK, 0);
    const fromBottom = list.scrollHeight - list.scrollTop;
    olderRow.after(...items.slice(start, from).map(itemOf));
    list.scrollTop = list.scrollHeight - fromBottom;
    if (start > 0) later(() => drawRest(of, items, start, itemOf, sig));
    else drawn = sig;
  }

  function setOlder(cursor) {
    older = cursor;
    olderRow.hidden = !older;
  }

  const fetchLatest = () => api("GET", `/conversations/${chat.cid}/messages?limit=${PAGE}`);

  // loadLatest reads the newest page (or takes pending, a fetchLatest()
  // already asked): it replaces what it covers (so deletions show) and
  // keeps the older messages already loaded.
  async function loadLatest(pending) {
    const page = await (pending || fetchLatest());
    loaded = true;
    if (older === null && msgs.size === 0) setOlder(page.next_cursor);
    const fresh = new Set(page.items.map(m => m.id));
    const minID = page.items.length ? Math.min(...fresh) : Infinity;
    for (const id of [...msgs.keys()]) if (id >= minID && !fresh.has(id)) msgs.delete(id);
    for (const m of page.items) msgs.set(m.id, m);
    draw();
    return page;
  }

  // loadOlder adds the next older page above, keeping the view where it
  // was: the list grows above what the reader sees by exactly the height
  // of what went in. Photos have their size before they load
  // (ui.js photo), so the height is known at once.
  async function loadOlder() {
    if (loading || !older) return;
    loading = true;
    olderBtn.disabled = true;
    olderBtn.textContent = t("chat.loading_older");
    try {
      const page = await api("GET", `/conversations/${chat.cid}/messages?limit=${PAGE}&cursor=${encodeURIComponent(older)}`);
      for (const m of page.items) msgs.set(m.id, m);
      const height = list.scrollHeight, top = list.scrollTop;
      setOlder(page.next_cursor);
      draw();
      list.scrollTop = top + list.scrollHeight - height;
    } catch (e) { onerror(e); }
    olderBtn.disabled = false;
    olderBtn.textContent = t("chat.load_older");
    loading = false;
    // Still at the top (a short page, a tall screen): the observer sees
    // no change, so go on from here.
    if (older && rowInView(list, olderRow)) loadOlder();
  }
  olderBtn.addEventListener("click", loadOlder);
  watchTop(list, olderRow, () => { if (loaded) loadOlder(); });

  return {
    list,
    fetchLatest,
    loadLatest,
    // redraw draws again once the history is loaded (names may have
    // changed: a deleted account).
    redraw() { if (loaded) draw(); },
    // add shows a message just sent or just arrived.
    add(m) { msgs.set(m.id, m); draw(); },
  };
}

// watchTop calls near() when row, at the top of the scrolling list,
// comes into view (or within 150 px of it) once the reader has scrolled
// or used the list: a chat opening at its first unread message near the
// top of the page does not fetch a page nobody asked for.
function watchTop(list, row, near) {
  if (!("IntersectionObserver" in window)) return; // the button still works
  let armed = false;
  const arm = () => {
    if (armed) return;
    armed = true;
    if (rowInView(list, row)) near();
  };
  for (const type of ["wheel", "touchstart", "keydown", "pointerdown"]) list.addEventListener(type, arm, { passive: true });
  new IntersectionObserver((entries) => {
    if (armed && entries.some(e => e.isIntersecting)) near();
  }, { root: list, rootMargin: "150px 0px 0px 0px" }).observe(row);
}

function rowInView(list, row) {
  if (row.hidden || !row.isConnected) return false;
  const l = list.getBoundingClientRect(), r = row.getBoundingClientRect();
  return r.bottom > l.top - 150 && r.top < l.bottom;
}

// firstScreen is the index of the first of items to draw before the
// first paint: FIRST from the end, or earlier to show the first message
// the reader has not read (chat/unread.js opens the chat there), with two
// before it. 0 draws them all.
function firstScreen(chat, items) {
  const c = chat.convo;
  let from = Math.max(items.length - FIRST, 0);
  if (!c || c.read_only) return from;
  const read = c.last_read_message_id || 0;
  const unread = items.findIndex(m => m.id > read && m.sender_id !== chat.me.id);
  if (unread >= 0 && unread < from) from = Math.max(unread - 2, 0);
  return from;
}

// drawList draws items (sorted by id) into list under the "older" row,
// staying at the bottom when the list was there (or is short).
function drawList(list, olderRow, items, chat, item) {
  // A short list goes to the bottom anyway: asking where it was would lay
  // the page out once more in the same task (the chat's first drawing).
  const atBottom = items.length <= PAGE || list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  if (!items.length) {
    replace(list, h("li", { class: "empty" }, chat.isChild ? t("chat.empty_child") : t("chat.empty")));
  } else {
    replace(list, olderRow, items.map(item));
  }
  if (atBottom) list.scrollTop = list.scrollHeight;
}

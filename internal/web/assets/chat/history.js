// The messages of one chat, oldest at the top: the latest page
// (GET /conversations/{id}/messages?limit=50), older pages on request
// ("Show older messages", by cursor), and new ones as they come. The list
// is redrawn only when what it shows changed, and stays scrolled to the
// bottom when it was there.
import { h, replace } from "../dom.js";
import { api } from "../api.js";
import { formerMembers, memberNames } from "./messages.js";

const PAGE = 50;

// messageHistory keeps the messages of chat. item(m, who) draws one
// message; onerror(e) shows a failure to load older ones.
export function messageHistory(chat, { item, onerror }) {
  const msgs = new Map();
  let older = null; // cursor of the next older page
  let drawn = "";
  let loaded = false; // until then the list says "Loading messages…"
  const list = h("ol", { class: "messages", "aria-label": "Messages", tabindex: "0" }, h("li", { class: "loading" }, "Loading messages…"));
  const olderBtn = h("button", { class: "btn small ghost", type: "button", hidden: true }, "Show older messages");

  function draw() {
    const convo = chat.convo;
    const items = [...msgs.values()].sort((a, b) => a.id - b.id);
    const who = memberNames(convo);
    const sig = JSON.stringify(items.map(m => [m.id, m.deleted, m.content, m.media_url, m.reactions])) + (convo ? convo.frozen : "") + [...formerMembers(convo)] + [...who.values()];
    if (sig === drawn) return;
    drawn = sig;
    drawList(list, items, chat, item, who);
  }

  // loadLatest reads the newest page: it replaces what it covers (so
  // deletions show) and keeps the older messages already loaded.
  async function loadLatest() {
    const page = await api("GET", `/conversations/${chat.cid}/messages?limit=${PAGE}`);
    loaded = true;
    if (older === null && msgs.size === 0) { older = page.next_cursor; olderBtn.hidden = !older; }
    const fresh = new Set(page.items.map(m => m.id));
    const minID = page.items.length ? Math.min(...fresh) : Infinity;
    for (const id of [...msgs.keys()]) if (id >= minID && !fresh.has(id)) msgs.delete(id);
    for (const m of page.items) msgs.set(m.id, m);
    draw();
    return page;
  }

  // loadOlder adds the next older page above, keeping the view where it was.
  async function loadOlder() {
    olderBtn.disabled = true;
    try {
      const page = await api("GET", `/conversations/${chat.cid}/messages?limit=${PAGE}&cursor=${encodeURIComponent(older)}`);
      for (const m of page.items) msgs.set(m.id, m);
      older = page.next_cursor;
      olderBtn.hidden = !older;
      const top = list.scrollHeight;
      draw();
      list.scrollTop = list.scrollHeight - top;
    } catch (e) { onerror(e); }
    olderBtn.disabled = false;
  }
  olderBtn.addEventListener("click", loadOlder);

  return {
    list,
    olderBtn,
    loadLatest,
    // redraw draws again once the history is loaded (names may have
    // changed: a deleted account).
    redraw() { if (loaded) draw(); },
    // add shows a message just sent or just arrived.
    add(m) { msgs.set(m.id, m); draw(); },
  };
}

// drawList draws items (sorted by id) into list, staying at the bottom
// when the list was there (or is short).
function drawList(list, items, chat, item, who) {
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  if (!items.length) {
    replace(list, h("li", { class: "empty" }, chat.isChild ? "No messages yet. Say hello!" : "No messages in this chat yet."));
  } else {
    replace(list, items.map(m => item(m, who)));
  }
  if (atBottom || items.length <= PAGE) list.scrollTop = list.scrollHeight;
}

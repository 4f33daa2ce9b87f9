// Unread messages outside a chat (docs/chat.md "Unread messages"): the
// badge on a chats list row, and the total in the tab title, "(3) Chats ·
// Pixel Pals", on every page of a child or a parent.
import { h } from "./dom.js";
import { api } from "./api.js";
import { EventType, isConversationEvent } from "./events.js";
import { t } from "./i18n.js";

const PREFIX = /^\(\d+\) /;
let total = 0;

// showTotal puts the total before whatever title the page set.
function showTotal() {
  const base = document.title.replace(PREFIX, "");
  const want = (total ? `(${total}) ` : "") + base;
  if (document.title !== want) document.title = want;
}

// Pages set document.title themselves (some after they load): the total
// is put back in front whenever the title changes.
new MutationObserver(showTotal).observe(document.querySelector("title"), { childList: true, characterData: true, subtree: true });

let timer = 0;
// refreshUnread reads the caller's chats again (soon, once for a burst of
// events) and shows their total. Only children and parents have chats;
// the first page (100, newest first) is where unread ones are.
export function refreshUnread(me) {
  const chats = me && (me.user.role === "CHILD" || (me.user.role === "PARENT" && me.user.approved_by_admin));
  if (!chats) { setTotal(0); return; }
  clearTimeout(timer);
  timer = setTimeout(async () => {
    try {
      const page = await api("GET", "/conversations?limit=100");
      setTotal(page.items.reduce((n, c) => n + (c.unread || 0), 0));
    } catch { /* the page on screen shows errors; the title waits for the next event */ }
  }, 150);
}

function setTotal(n) { total = n; showTotal(); }

// unreadEvent tells which live events can change the total: a new or
// deleted message, a read (here or on another device), a chat's change.
export const unreadEvent = (ev) => ev.type === EventType.messageCreated || ev.type === EventType.messageDeleted ||
  ev.type === EventType.resync || isConversationEvent(ev);

// unreadBadge is the count on a chat's row in a list, or nothing.
export function unreadBadge(c) {
  const n = c.unread || 0;
  if (!n) return null;
  return h("span", { class: "badge unread", title: t("unread.title", { count: n }) }, String(n), h("span", { class: "sr-only" }, " " + t("unread.sr", { count: n })));
}

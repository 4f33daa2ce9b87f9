// One conversation: history (oldest at the top), live updates, sending
// text, images and voice clips, reporting. A parent reads their child's
// conversation here read-only; a child always sees that their parent can
// read it. The parts live in chat/: history.js (the list and its pages),
// messages.js (one message), header.js (title, banners, why it is
// paused), composer.js and media.js (writing), sleep.js (quiet time),
// live.js (which events concern this chat), members.js (a group's
// people, its name, leaving), reactions.js (the pictures under a message).
import { h, replace } from "./dom.js";
import { api } from "./api.js";
import { openReportForm } from "./report-form.js";
import { messageHistory } from "./chat/history.js";
import { messageItem } from "./chat/messages.js";
import { chatHeader, deletedReason, blockReason, adultReason } from "./chat/header.js";
import { composerArea } from "./chat/composer.js";
import { chatSleep } from "./chat/sleep.js";
import { chatEvents } from "./chat/live.js";
import { groupPanel } from "./chat/members.js";
import { learnNames } from "./chat/messages.js";
import { readTracker } from "./chat/unread.js";
import { applyReactions } from "./chat/reactions.js";
import { t, warmFormats } from "./i18n.js";

// chatView shows conversation cid; back is where "← Back" goes, childID
// the child whose chat a parent reads (undefined for a member).
export function chatView(ctx, cid, back, childID) {
  const me = ctx.me.user;
  // chat is what the parts share: who reads, the conversation as last
  // loaded, why it is paused, and the composer while there is one.
  const chat = { ctx, cid, back, childID, me, isChild: me.role === "CHILD", convo: null, frozenWhy: "", composer: null };
  const header = chatHeader(chat);
  const group = groupPanel(chat);
  const loadErr = h("p", { class: "error box", role: "alert" });
  const reportSlot = h("div");
  const messages = messageHistory(chat, {
    item: (m, who) => marked(m, messageItem(m, who, chat, { report: (m, sender) => reportMessage(reportSlot, m, sender), remove: del })),
    onerror: (e) => { loadErr.textContent = e.message; },
  });
  const reads = readTracker(chat, messages.list);
  let opened = false;
  const send = async (body) => {
    messages.add(await api("POST", `/conversations/${cid}/messages`, { ...body, client_id: crypto.randomUUID() }));
  };
  const composer = composerArea(chat, { send, sleep: chatSleep(chat) });
  // The head (back, title, the people of a group) stays one short row; the
  // list between it and the composer is the one thing that scrolls
  // (style.css, body.in-chat), so the composer is always in view.
  const root = h("section", { class: "card chat", "aria-labelledby": header.title.id },
    header.head(h("a", { class: "back", href: back }, t("activity.back")), group.el), header.banners, loadErr,
    messages.list, reportSlot, composer.el);
  document.body.classList.add("in-chat");

  async function del(m) {
    try {
      await api("DELETE", `/messages/${m.id}`);
      await messages.loadLatest();
    } catch (e) { loadErr.textContent = e.message; }
  }

  async function loadConvo() {
    chat.convo = await api("GET", `/conversations/${cid}`);
    chat.frozenWhy = chat.convo.frozen ? deletedReason(chat) || adultReason(chat) || await blockReason(chat) : "";
    header.draw();
    composer.draw(header.frozenBanner());
    await group.draw();
    messages.redraw(); // names may have changed (a deleted account)
  }

  // chat.reload reads the conversation and its latest messages again
  // after a change made here (a rename, someone added or taken out).
  chat.reload = async () => { await loadConvo(); await messages.loadLatest(); };

  // A system message (renamed, joined, left, paused) changes the group:
  // read it again, and learn the names of people who left.
  const arrived = (m) => {
    messages.add(m);
    if (m.type === "system") loadConvo().then(() => learnNames(m, chat, messages.redraw)).catch(shown);
  };
  // shown puts a failure to read the chat again on the page (one who just
  // left or was taken out can no longer read it).
  const shown = (e) => { loadErr.textContent = e.message; };

  async function refresh() {
    // The chat and its latest page are asked for together: on a slow
    // network that is one round trip before the messages show, not two.
    const latest = messages.fetchLatest();
    latest.catch(() => {}); // a failure shows through loadLatest, or not at all when loadConvo failed first
    try {
      await loadConvo();
      // The messages are drawn in a task of their own: the head and the
      // composer (drawn above) can paint first, and neither task grows
      // into one long enough to make a tap wait (Lighthouse's TBT).
      await new Promise(resolve => setTimeout(resolve));
      const page = await messages.loadLatest(latest);
      if (!opened) { opened = true; reads.opened(); }
      loadErr.textContent = "";
      for (const m of page.items) if (m.type === "system") learnNames(m, chat, messages.redraw);
    } catch (e) {
      loadErr.textContent = e.message;
      if (!chat.convo) replace(messages.list);
    }
  }

  ctx.refresh = refresh;
  ctx.poll = refresh;
  const events = chatEvents(cid, { created: arrived, deleted: () => messages.loadLatest(), changed: () => loadConvo().catch(shown),
    reactions: (d) => applyReactions(chat, d) });
  ctx.onevent = (ev) => { reads.onevent(ev); events(ev); };
  const prev = ctx.cleanup;
  ctx.cleanup = () => { reads.stop(); document.body.classList.remove("in-chat"); if (prev) prev(); };
  refresh();
  setTimeout(warmFormats); // while the chat and its messages are on their way
  return root;
}

// marked gives a message's item its id and sender, for the read tracker.
function marked(m, li) {
  li.dataset.id = m.id;
  li.dataset.sender = m.sender_id;
  return li;
}

// reportMessage opens the report form for message m (sent by sender)
// below the chat.
function reportMessage(slot, m, sender) {
  openReportForm(slot, {
    messageID: m.id,
    title: t("chat.report_title", { name: sender }),
    heading: "h2",
    quote: m.content ? `“${m.content.slice(0, 80)}”` : t("chat.this_message"),
    label: t("chat.report_label"),
    hint: t("chat.report_hint"),
    thanks: t("chat.report_thanks"),
  });
}

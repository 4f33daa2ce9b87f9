// A parent's pages: their children, and one child's page with its cards.
// The cards live in parent/: contacts.js (friend requests, friend code,
// friends), logins.js (game logins), gallery.js (photos and voice
// messages), account.js (rename, password, delete); sleep mode is
// sleep-settings.js, the activity dashboard activity.js.
import { h } from "./dom.js";
import { api, q } from "./api.js";
import { field, form } from "./forms.js";
import { section, empty, avatar, convoName, upperFirst, icon } from "./ui.js";
import { sleepSettings } from "./sleep-settings.js";
import { reportList } from "./reports.js";
import { EventType, isContactEvent, isConversationEvent, isReportEvent, isGuardianEvent, isTrustedEvent } from "./events.js";
import { requestRow, friendCodeCard, friendsCard } from "./parent/contacts.js";
import { loginsCard } from "./parent/logins.js";
import { galleryCard } from "./parent/gallery.js";
import { accountCard } from "./parent/account.js";
import { notificationsCard } from "./notify-settings.js";
import { pushCard } from "./push.js";
import { newGroupCard } from "./group.js";
import { action } from "./forms.js";
import { t } from "./i18n.js";
import { languageCard } from "./language.js";
import { grownUpsCard, acceptCard, coGuardians, withLine } from "./parent/guardians.js";
import { trustCard } from "./parent/trusted.js";

export function parentHome(ctx) {
  ctx.title = t("nav.my_children");
  const kids = section({
    title: t("parent.your_children"),
    cls: "children",
    load: async () => {
      const page = await api("GET", "/children");
      for (const c of page.items) c.with = await coGuardians(c, ctx.me.user.id);
      return page;
    },
    render: (page) => page.items.length === 0
      ? empty(t("parent.no_children"))
      : h("ul", { class: "list" }, page.items.map(c => h("li", { class: "row spread" },
        h("div", { class: "who" }, avatar(c.user.id),
          h("div", {}, h("strong", {}, c.profile.display_name), h("br"), h("span", { class: "muted small" }, t("parent.logs_in_as"), " ", h("code", {}, c.user.email)), withLine(c.with))),
        h("span", { class: "row" }, chatWith(ctx, c.user.id, c.profile.display_name),
          h("a", { class: "btn small", href: `#/child/${c.user.id}`, "aria-label": t("parent.open_child", { name: c.profile.display_name }) }, t("parent.open")))))),
  });
  const mine = myChats(ctx);
  const group = newGroupCard(ctx);
  const requests = section({
    title: t("parent.requests"),
    load: async () => {
      const page = await api("GET", "/children");
      const out = [];
      for (const c of page.items) {
        const contacts = await api("GET", "/contacts" + q({ child_id: c.user.id }));
        for (const k of contacts.items) {
          const mine = k.children.find(x => x.child_id === c.user.id);
          if (k.status === "pending" && mine && !mine.parent_approved) out.push({ child: c, contact: k });
        }
      }
      return out;
    },
    render: (items, reload) => items.length === 0 ? empty(t("parent.no_requests"))
      : h("ul", { class: "list" }, items.map(({ child, contact }) => requestRow(child.user.id, child.profile.display_name, contact, reload))),
  });
  const add = h("section", { class: "card", "aria-labelledby": "add-child-h" },
    h("h2", { id: "add-child-h" }, t("parent.add_child")),
    form({
      label: t("parent.add_child"),
      fields: [
        field({ name: "display_name", label: t("parent.child_name"), hint: t("parent.child_name_hint"), required: true, maxlength: 100 }),
        field({ name: "login", label: t("parent.login_name"), hint: t("parent.login_name_hint"), autocomplete: "off", autocapitalize: "none", spellcheck: "false", required: true }),
        field({ name: "password", label: t("parent.child_password"), type: "password", autocomplete: "new-password", hint: t("parent.child_password_hint"), required: true, minlength: 6 }),
      ],
      submit: t("signup.submit"),
      busy: t("signup.busy"),
      onsubmit: async (v, f) => {
        const c = await api("POST", "/children", { login: v.login.trim(), password: v.password, display_name: v.display_name.trim() });
        for (const fl of f.fields) fl.input.value = "";
        f.ok.textContent = t("parent.child_ready", { name: c.profile.display_name, login: c.user.email });
        kids.reload();
      },
    }));
  const accept = acceptCard(() => kids.force());
  const trust = trustCard(ctx);
  ctx.onevent = (ev) => {
    if (isGuardianEvent(ev)) kids.reload();
    if (isTrustedEvent(ev)) trust.reload();
    if (isContactEvent(ev)) requests.reload();
    if (isConversationEvent(ev) || ev.type === EventType.messageCreated) mine.reload();
  };
  ctx.poll = () => { requests.reload(); mine.reload(); trust.reload(); };
  ctx.refresh = () => { kids.force(); requests.force(); mine.force(); group.force(); trust.force(); };
  return h("div", {},
    h("h1", {}, t("parent.hello", { name: ctx.me.profile.display_name })),
    h("p", {}, t("parent.intro")),
    h("div", { class: "grid" }, kids, mine), requests, h("div", { class: "grid" }, add, group), h("div", { class: "grid" }, accept, trust),
    notificationsCard(), pushCard(), languageCard(ctx));
}

// chatWith is the button that starts (or opens) the parent's own direct
// chat with their child id.
function chatWith(ctx, id, name) {
  return action(t("parent.chat"), async () => {
    const c = await api("POST", "/conversations", { member_ids: [id], is_group: false });
    ctx.go(`#/chat/${c.id}`);
  }, { label: t("parent.chat_with", { name }) });
}

// myChats lists the chats the parent is in (with their children), as
// opposed to the children's chats they only read.
function myChats(ctx) {
  const me = ctx.me.user;
  return section({
    title: t("parent.my_chats"),
    load: async () => (await api("GET", "/conversations")).items.filter(c => !c.read_only),
    render: (items) => items.length === 0
      ? empty(t("parent.no_own_chats"))
      : h("ul", { class: "list" }, items.map(c => h("li", { class: "row spread" },
        h("a", { href: `#/chat/${c.id}` }, icon("chat"), upperFirst(convoName(c, me.id))),
        c.frozen ? h("span", { class: "badge bad" }, t("parent.paused")) : null))),
  });
}

// childPage is a parent's page for their child id: its cards once the
// child is found among the parent's children.
export function childPage(ctx, id) {
  ctx.title = t("parent.child");
  const root = h("div", {}, h("p", {}, h("a", { href: "#/" }, t("parent.all_children"))));
  const heading = h("h1", {}, "…");
  const headErr = h("p", { class: "error box", role: "alert" });
  root.append(heading, headErr);
  api("GET", "/children").then(page => {
    const c = page.items.find(x => x.user.id === id);
    if (!c) { headErr.textContent = t("parent.not_your_child"); return; }
    if (!ctx.alive) return;
    childCards(ctx, root, heading, c);
  }).catch(e => { headErr.textContent = e.message; });
  return root;
}

// childCards fills the page of child c under heading, and says what
// reloads which card.
function childCards(ctx, root, heading, c) {
  const id = c.user.id;
  const name = c.profile.display_name;
  heading.replaceChildren(avatar(id), " ", name);
  heading.className = "who";
  ctx.title = name;
  document.title = name + " · Pixel Pals";
  const code = friendCodeCard(id);
  const friends = friendsCard(id, name);
  const chats = chatsCard(ctx, id, name);
  const logins = loginsCard(id);
  const reports = section({
    title: t("nav.reports"),
    load: () => api("GET", "/reports" + q({ child_id: id })),
    render: (page) => reportList(page.items, id, name, t("parent.no_reports", { name })),
  });
  const gallery = galleryCard(id, () => reports.reload());
  const account = accountCard(ctx, c, id, name, heading);
  const sleep = sleepSettings(ctx, id, name);
  const group = newGroupCard(ctx, { id, name });
  const grownUps = grownUpsCard(ctx, id, name, () => ctx.go("#/"));
  root.append(h("div", { class: "grid" }, code, friends), h("div", { class: "grid" }, chats, group),
    h("div", { class: "grid" }, logins, activityCard(id, name)), sleep, gallery.el, h("div", { class: "grid" }, account, reports), grownUps);
  ctx.onevent = (ev) => {
    if (isGuardianEvent(ev)) { grownUps.reload(); grownUps.trusted.reload(); }
    if (isTrustedEvent(ev) && (ev.data || {}).child_id === id) { grownUps.trusted.reload(); chats.reload(); }
    if (ev.type === EventType.guardianRemoved && (ev.data || {}).child_id === id && ev.data.user_id === ctx.me.user.id) ctx.go("#/");
    if (isContactEvent(ev)) { friends.reload(); group.reload(); }
    if (isConversationEvent(ev) || ev.type === EventType.messageCreated) chats.reload();
    if (isReportEvent(ev)) reports.reload();
    if (ev.type === EventType.sleepModeChanged) sleep.reload();
  };
  ctx.poll = () => { friends.reload(); chats.reload(); reports.reload(); sleep.reload(); grownUps.trusted.reload(); };
  ctx.refresh = () => { grownUps.force(); grownUps.trusted.reload(); friends.force(); chats.force(); reports.force(); logins.force(); gallery.photos.force(); };
}

// chatsCard lists child id's chats: those with others to read
// (read-only), the parent's own with them to open and write in; and a
// button to write to the child.
function chatsCard(ctx, id, name) {
  return section({
    title: t("nav.chats"),
    load: () => api("GET", "/conversations" + q({ child_id: id })),
    render: (page) => h("div", {},
      h("p", { class: "row" }, chatWith(ctx, id, name), h("span", { class: "muted small" }, t("parent.write_yourself", { name }))),
      page.items.length === 0 ? empty(t("parent.child_no_chats", { name }))
        : h("ul", { class: "list" }, page.items.map(cv => h("li", { class: "row spread" },
          h("span", {}, h("strong", {}, upperFirst(cv.read_only || cv.is_group ? convoName(cv, cv.read_only ? id : ctx.me.user.id) : t("parent.you_and", { name: convoName(cv, ctx.me.user.id) }))),
            cv.read_only ? h("span", { class: "muted small" }, " · " + t("parent.read_only")) : null,
            cv.frozen ? [" ", h("span", { class: "badge bad" }, t("parent.paused"))] : null),
          cv.read_only
            ? h("a", { class: "btn small ghost", href: `#/child/${id}/chat/${cv.id}`, "aria-label": t("parent.read_chat_with", { name: convoName(cv, id) }) }, t("parent.read"))
            : h("a", { class: "btn small", href: `#/chat/${cv.id}`, "aria-label": t("parent.open_chat_with", { name: convoName(cv, ctx.me.user.id) }) }, t("parent.open")))))),
  });
}

// activityCard links to child id's activity dashboard.
function activityCard(id, name) {
  return h("section", { class: "card", "aria-labelledby": "act-link-h" },
    h("h2", { id: "act-link-h" }, t("parent.activity")),
    h("p", {}, t("parent.activity_text", { name })),
    h("a", { class: "btn", href: `#/child/${id}/activity` }, t("parent.see_activity", { name })));
}

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
import { EventType, isContactEvent, isConversationEvent, isReportEvent, isGuardianEvent } from "./events.js";
import { requestRow, friendCodeCard, friendsCard } from "./parent/contacts.js";
import { loginsCard } from "./parent/logins.js";
import { galleryCard } from "./parent/gallery.js";
import { accountCard } from "./parent/account.js";
import { notificationsCard } from "./notify-settings.js";
import { pushCard } from "./push.js";
import { newGroupCard } from "./group.js";
import { action } from "./forms.js";
import { grownUpsCard, acceptCard, coGuardians } from "./parent/guardians.js";

export function parentHome(ctx) {
  ctx.title = "My children";
  const kids = section({
    title: "Your children",
    cls: "children",
    load: async () => {
      const page = await api("GET", "/children");
      for (const c of page.items) c.with = await coGuardians(c, ctx.me.user.id);
      return page;
    },
    render: (page) => page.items.length === 0
      ? empty("No children yet. Create an account for your child below — then they can log in.")
      : h("ul", { class: "list" }, page.items.map(c => h("li", { class: "row spread" },
        h("div", { class: "who" }, avatar(c.user.id),
          h("div", {}, h("strong", {}, c.profile.display_name), h("br"), h("span", { class: "muted small" }, "Logs in as ", h("code", {}, c.user.email)),
            c.with ? [h("br"), h("span", { class: "small" }, "With ", c.with.join(", "))] : null)),
        h("span", { class: "row" }, chatWith(ctx, c.user.id, c.profile.display_name),
          h("a", { class: "btn small", href: `#/child/${c.user.id}`, "aria-label": `Open ${c.profile.display_name}` }, "Open"))))),
  });
  const mine = myChats(ctx);
  const group = newGroupCard(ctx);
  const requests = section({
    title: "Friend requests to approve",
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
    render: (items, reload) => items.length === 0 ? empty("No friend requests waiting for you.")
      : h("ul", { class: "list" }, items.map(({ child, contact }) => requestRow(child.user.id, child.profile.display_name, contact, reload))),
  });
  const add = h("section", { class: "card", "aria-labelledby": "add-child-h" },
    h("h2", { id: "add-child-h" }, "Add a child"),
    form({
      label: "Add a child",
      fields: [
        field({ name: "display_name", label: "Child's name", hint: "Shown to their friends.", required: true, maxlength: 100 }),
        field({ name: "login", label: "Login name", hint: "Your child types this to log in. It need not be an email.", autocomplete: "off", autocapitalize: "none", spellcheck: "false", required: true }),
        field({ name: "password", label: "Password for your child", type: "password", autocomplete: "new-password", hint: "At least 6 characters.", required: true, minlength: 6 }),
      ],
      submit: "Create account",
      busy: "Creating…",
      onsubmit: async (v, f) => {
        const c = await api("POST", "/children", { login: v.login.trim(), password: v.password, display_name: v.display_name.trim() });
        for (const fl of f.fields) fl.input.value = "";
        f.ok.textContent = `${c.profile.display_name}'s account is ready: they log in as “${c.user.email}”.`;
        kids.reload();
      },
    }));
  const accept = acceptCard(() => kids.force());
  ctx.onevent = (ev) => {
    if (isGuardianEvent(ev)) kids.reload();
    if (isContactEvent(ev)) requests.reload();
    if (isConversationEvent(ev) || ev.type === EventType.messageCreated) mine.reload();
  };
  ctx.poll = () => { requests.reload(); mine.reload(); };
  ctx.refresh = () => { kids.force(); requests.force(); mine.force(); group.force(); };
  return h("div", {},
    h("h1", {}, `Hello, ${ctx.me.profile.display_name}!`),
    h("p", {}, "Here you make accounts for your children, approve their friends, read their chats, and chat with them."),
    h("div", { class: "grid" }, kids, mine), requests, h("div", { class: "grid" }, add, group), accept,
    notificationsCard(), pushCard());
}

// chatWith is the button that starts (or opens) the parent's own direct
// chat with their child id.
function chatWith(ctx, id, name) {
  return action("Chat", async () => {
    const c = await api("POST", "/conversations", { member_ids: [id], is_group: false });
    ctx.go(`#/chat/${c.id}`);
  }, { label: `Chat with ${name}` });
}

// myChats lists the chats the parent is in (with their children), as
// opposed to the children's chats they only read.
function myChats(ctx) {
  const me = ctx.me.user;
  return section({
    title: "My chats",
    load: async () => (await api("GET", "/conversations")).items.filter(c => !c.read_only),
    render: (items) => items.length === 0
      ? empty("No chats of your own yet. Press “Chat” next to a child to write to them.")
      : h("ul", { class: "list" }, items.map(c => h("li", { class: "row spread" },
        h("a", { href: `#/chat/${c.id}` }, icon("chat"), upperFirst(convoName(c, me.id))),
        c.frozen ? h("span", { class: "badge bad" }, "paused") : null))),
  });
}

// childPage is a parent's page for their child id: its cards once the
// child is found among the parent's children.
export function childPage(ctx, id) {
  ctx.title = "Child";
  const root = h("div", {}, h("p", {}, h("a", { href: "#/" }, "← All children")));
  const heading = h("h1", {}, "…");
  const headErr = h("p", { class: "error box", role: "alert" });
  root.append(heading, headErr);
  api("GET", "/children").then(page => {
    const c = page.items.find(x => x.user.id === id);
    if (!c) { headErr.textContent = "This child is not in your family (any more)."; return; }
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
    title: "Reports",
    load: () => api("GET", "/reports" + q({ child_id: id })),
    render: (page) => reportList(page.items, id, name, `No reports by or about ${name}.`),
  });
  const gallery = galleryCard(id, () => reports.reload());
  const account = accountCard(ctx, c, id, name, heading);
  const sleep = sleepSettings(ctx, id, name);
  const group = newGroupCard(ctx, { id, name });
  const grownUps = grownUpsCard(ctx, id, name, () => ctx.go("#/"));
  root.append(h("div", { class: "grid" }, code, friends), h("div", { class: "grid" }, chats, group),
    h("div", { class: "grid" }, logins, activityCard(id, name)), sleep, gallery.el, h("div", { class: "grid" }, account, reports), grownUps);
  ctx.onevent = (ev) => {
    if (isGuardianEvent(ev)) grownUps.reload();
    if (ev.type === EventType.guardianRemoved && (ev.data || {}).child_id === id && ev.data.user_id === ctx.me.user.id) ctx.go("#/");
    if (isContactEvent(ev)) { friends.reload(); group.reload(); }
    if (isConversationEvent(ev) || ev.type === EventType.messageCreated) chats.reload();
    if (isReportEvent(ev)) reports.reload();
    if (ev.type === EventType.sleepModeChanged) sleep.reload();
  };
  ctx.poll = () => { friends.reload(); chats.reload(); reports.reload(); sleep.reload(); };
  ctx.refresh = () => { grownUps.force(); friends.force(); chats.force(); reports.force(); logins.force(); gallery.photos.force(); };
}

// chatsCard lists child id's chats: those with others to read
// (read-only), the parent's own with them to open and write in; and a
// button to write to the child.
function chatsCard(ctx, id, name) {
  return section({
    title: "Chats",
    load: () => api("GET", "/conversations" + q({ child_id: id })),
    render: (page) => h("div", {},
      h("p", { class: "row" }, chatWith(ctx, id, name), h("span", { class: "muted small" }, `Write to ${name} yourself.`)),
      page.items.length === 0 ? empty(`${name} has no chats yet.`)
        : h("ul", { class: "list" }, page.items.map(cv => h("li", { class: "row spread" },
          h("span", {}, h("strong", {}, upperFirst(cv.read_only || cv.is_group ? convoName(cv, cv.read_only ? id : ctx.me.user.id) : `You and ${convoName(cv, ctx.me.user.id)}`)),
            cv.read_only ? h("span", { class: "muted small" }, " · read-only") : null,
            cv.frozen ? [" ", h("span", { class: "badge bad" }, "paused")] : null),
          cv.read_only
            ? h("a", { class: "btn small ghost", href: `#/child/${id}/chat/${cv.id}`, "aria-label": `Read chat with ${convoName(cv, id)}` }, "Read")
            : h("a", { class: "btn small", href: `#/chat/${cv.id}`, "aria-label": `Open your chat with ${convoName(cv, ctx.me.user.id)}` }, "Open"))))),
  });
}

// activityCard links to child id's activity dashboard.
function activityCard(id, name) {
  return h("section", { class: "card", "aria-labelledby": "act-link-h" },
    h("h2", { id: "act-link-h" }, "Activity"),
    h("p", {}, `Who ${name} chatted with in the last 30 days, new friends, reports, photos, sleep-mode changes and what the password guard stopped.`),
    h("a", { class: "btn", href: `#/child/${id}/activity` }, `See ${name}'s activity`));
}

// Pixel Pals in the browser: a hash router over a few views, one live
// connection, and polling by REST whenever that connection is down.
// Only what the login page and a chat need is imported here: the other
// pages (a parent's, an admin's, a child's lists) are loaded by import()
// when their route opens, so a phone opening a chat waits for fewer
// modules (docs/web.md "Lighthouse").
import { h, replace } from "./dom.js";
import { api, onUnauthorized } from "./api.js";
import { field, form } from "./forms.js";
import { Live } from "./live.js";
import { chatView } from "./chat.js";
import { sleepWatch, sleepTop } from "./sleep.js";
import { leakNotices } from "./notices.js";
import { setAudience } from "./words.js";
import { t, k, setLanguage, chooseLanguage } from "./i18n.js";
import { EventType } from "./events.js";
import { publicView, checkEmailView } from "./recovery.js";
import { registerWorker, offlineView } from "./pwa.js";
import { refreshUnread, unreadEvent } from "./unread.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const liveEl = document.getElementById("live");
const whoami = document.getElementById("whoami");
const logoutBtn = document.getElementById("logout");

const POLL_MS = 3000;
// Parents see a notice, on every page, for each child and game whose
// password the leak guard stopped, until they dismiss it.
const notices = leakNotices(() => state.me);
main.before(notices.el);
// rejected: an admin declined this browser's parent sign-up (the API
// answered account_rejected), so the page says so instead of "log in".
// offline: the server could not be reached (pwa.js).
const state = { me: null, ctx: null, notice: "", rejected: false, offline: false };
registerWorker();

const live = new Live(
  (ev) => {
    const ctx = state.ctx;
    // A child's socket delivers nothing during quiet time, so any event
    // while the page thinks it asleep means it is over: ask.
    if (ev.type === EventType.sleepModeChanged || ev.type === EventType.resync || sleepWatch.state.asleep) sleepWatch.checkSoon();
    if (state.me) notices.onevent(ev);
    if (state.me && unreadEvent(ev)) refreshUnread(state.me);
    if (!ctx) return;
    if (ev.type === EventType.resync) { if (ctx.refresh) ctx.refresh(); return; }
    if (ctx.onevent) ctx.onevent(ev);
  },
  (s) => {
    liveEl.hidden = s === "off";
    liveEl.classList.toggle("ok", s === "live");
    liveEl.textContent = s === "live" ? t("app.live") : t("app.reconnecting");
  });

// While the socket is down, the page on screen refreshes itself by REST.
setInterval(() => {
  const ctx = state.ctx;
  if (ctx && !live.connected && ctx.poll && !document.hidden) ctx.poll();
  if (state.me && live.stopped === false && !live.connected && !document.hidden) notices.load();
}, POLL_MS);

onUnauthorized((e) => {
  if (!state.me) return;
  state.me = null;
  state.rejected = e.code === "account_rejected";
  state.notice = state.rejected ? "" : t("app.session_ended");
  live.stop();
  sleepWatch.stop();
  notices.clear();
  location.hash = "#/login";
  route();
});

function go(hash) {
  if (location.hash === hash) route(); else location.hash = hash;
}

const navs = {
  PARENT: [["#/", k("nav.my_children")]],
  CHILD: [["#/", k("nav.chats")], ["#/friends", k("nav.friends")], ["#/logins", k("nav.game_logins")], ["#/me", k("nav.me")]],
  ADMIN: [["#/admin/pending", k("nav.parents_to_approve")], ["#/admin/users", k("nav.users")], ["#/admin/reports", k("nav.reports")], ["#/admin/audit", k("nav.audit_log")]],
};

function drawShell() {
  const me = state.me;
  const items = me && (me.user.role !== "PARENT" || me.user.approved_by_admin) ? navs[me.user.role] || [] : [];
  const current = location.hash || "#/";
  replace(nav, items.map(([href, text]) => {
    const active = href === current || (href !== "#/" && current.startsWith(href)) ||
      (href === "#/" && (current.startsWith("#/chat") || current.startsWith("#/child/")));
    return h("a", { href, "aria-current": active ? "page" : null }, t(text));
  }));
  drawFrame();
  nav.hidden = items.length === 0;
  whoami.textContent = me ? `${me.profile.display_name}` : "";
  logoutBtn.hidden = !me;
  if (!me) logoutErr.textContent = "";
}

// drawFrame puts the page frame's own words (index.html's) in the page's
// language.
function drawFrame() {
  const skip = document.querySelector(".skip");
  if (skip) skip.textContent = t("app.skip");
  nav.setAttribute("aria-label", t("app.nav_label"));
  logoutBtn.textContent = t("app.logout");
  const foot = document.querySelector(".foot p");
  if (foot) foot.textContent = t("app.footer");
}

// A failed logout says so next to the button. The local state is cleared
// only once the server ended the session (204) or it had already ended
// (401): otherwise the session is still alive and the page stays.
const logoutErr = h("span", { id: "logout-error", class: "error small", role: "alert" });
logoutBtn.after(logoutErr);

logoutBtn.addEventListener("click", async () => {
  logoutBtn.disabled = true;
  logoutErr.textContent = "";
  try {
    const { forgetDevice } = await import("./push.js");
    await forgetDevice();
    await api("POST", "/auth/logout");
  } catch (e) {
    if (e.status !== 401) {
      logoutErr.textContent = t("app.logout_failed", { reason: e.message });
      return;
    }
  } finally {
    logoutBtn.disabled = false;
  }
  state.me = null;
  live.stop();
  sleepWatch.stop();
  notices.clear();
  go("#/login");
});

// signedIn: the CSRF cookie is set with the session cookie at login and
// goes with it (same lifetime, cleared at logout). Without it there is no
// session, so the page does not ask GET /me for a 401 the browser would
// log as a failed request on every logged-out visit.
const signedIn = () => document.cookie.split(";").some(c => c.trim().startsWith("pixelpals_csrf="));

// loadMe reads who is logged in, and the page's language with it (the
// browser's when nobody is, or the server cannot be reached).
async function loadMe() {
  await readMe();
  await setLanguage(chooseLanguage(state.me && state.me.user.locale));
}

async function readMe() {
  try {
    if (!signedIn()) { state.me = null; state.offline = false; setAudience(null); return; }
    state.me = await api("GET", "/me");
    state.rejected = false;
    state.offline = false;
  } catch (e) {
    state.me = null;
    state.offline = e.code === "network";
    if (e.code === "account_rejected") state.rejected = true;
    else if (state.offline) return;
    else if (e.status !== 401) state.notice = e.message;
  }
  setAudience(state.me && state.me.user.role);
}

let routing = 0;
async function route() {
  const mine = ++routing;
  if (state.ctx && state.ctx.cleanup) state.ctx.cleanup();
  state.ctx = null;
  if (state.me === null) await loadMe();
  if (mine !== routing) return;
  const parts = (location.hash.replace(/^#\/?/, "") || "").split("/").filter(Boolean);
  // relocalize: the account's language changed; read it and redraw.
  const ctx = { me: state.me, go, live, alive: true, reloadMe: loadMe, relocalize: async () => { await loadMe(); route(); } };
  // A mailed link's page (recovery.js) opens logged in or not.
  let view = publicView(ctx, parts);
  if (!view && !state.me) {
    if (parts[0] === "signup" || parts[0] === "login") state.rejected = false;
    view = state.offline ? offlineView(ctx, route) : parts[0] === "signup" ? signupView(ctx) : state.rejected ? declinedView(ctx) : loginView(ctx);
  } else if (!view) {
    if (live.stopped && activeUser(state.me)) { live.start(); notices.load(); }
    view = await userView(ctx, parts, () => mine !== routing);
    if (mine !== routing) return;
  }
  state.ctx = ctx;
  const prevCleanup = ctx.cleanup;
  ctx.cleanup = () => { ctx.alive = false; if (prevCleanup) prevCleanup(); };
  drawShell();
  replace(main, view);
  document.title = (ctx.title ? ctx.title + " · " : "") + "Pixel Pals";
  refreshUnread(state.me);
  if (mine > 1) main.focus();
}

function activeUser(me) {
  return me.user.role !== "PARENT" || me.user.approved_by_admin;
}

// userView is the page for a logged-in user, or null when another route
// began while its module was loading (stale()).
async function userView(ctx, parts, stale) {
  const me = ctx.me;
  const role = me.user.role;
  if (role === "PARENT" && !me.user.approved_by_admin) return pendingView(ctx);
  const chat = role === "PARENT" && parts[0] === "child" && parts[2] === "chat" ? [Number(parts[3]), `#/child/${parts[1]}`, Number(parts[1])] :
    (role === "PARENT" || role === "CHILD") && parts[0] === "chat" ? [Number(parts[1]), "#/"] : null;
  if (role === "CHILD") sleepWatch.start();
  if (chat) return chatView(ctx, ...chat);
  const page = role === "PARENT" ? await import("./parent-pages.js") : role === "CHILD" ? await import("./child.js") :
    role === "ADMIN" ? await import("./admin.js") : null;
  if (stale()) return null;
  if (role === "PARENT") return page.parentView(ctx, parts);
  if (role === "CHILD") return childView(ctx, parts, page);
  if (role === "ADMIN") return adminView(ctx, parts, page);
  return h("p", { class: "error" }, t("app.unknown_role"));
}

function childView(ctx, parts, { childChats, childFriends, childLogins, childMe }) {
  const top = sleepTop(ctx);
  if (parts[0] === "friends") return h("div", {}, top, childFriends(ctx));
  if (parts[0] === "logins") return h("div", {}, top, childLogins(ctx));
  if (parts[0] === "me") return h("div", {}, top, childMe(ctx));
  return h("div", {}, top, childChats(ctx));
}

function adminView(ctx, parts, { adminPending, adminUsers, adminReports, adminAudit }) {
  if (parts[1] === "users") return adminUsers(ctx);
  if (parts[1] === "reports") return adminReports(ctx);
  if (parts[1] === "audit") return adminAudit(ctx);
  return adminPending(ctx);
}

function notice() {
  const text = state.notice;
  state.notice = "";
  return text ? h("p", { class: "error box", role: "alert" }, text) : null;
}

function sprite() {
  return h("img", { class: "sprite", src: new URL("./logo.svg", import.meta.url).href, alt: "", width: 72, height: 72 });
}

function loginView(ctx) {
  ctx.title = t("login.title");
  const f = form({
    label: t("login.title"),
    fields: [
      field({ name: "login", label: t("login.login"), autocomplete: "username", required: true, autocapitalize: "none", spellcheck: "false" }),
      field({ name: "password", label: t("login.password"), type: "password", autocomplete: "current-password", required: true }),
    ],
    submit: t("login.submit"),
    busy: t("login.busy"),
    onsubmit: async (v) => {
      try {
        await api("POST", "/auth/login", { login: v.login.trim(), password: v.password });
      } catch (e) {
        if (e.code !== "account_rejected") throw e;
        state.rejected = true; // this browser's sign-up was declined
        go("#/");
        return;
      }
      await loadMe();
      go("#/");
    },
  });
  return h("div", {},
    h("section", { class: "card narrow hero", "aria-labelledby": "welcome" }, sprite(),
      h("h1", { id: "welcome" }, t("login.welcome")),
      h("p", {}, t("login.intro"))),
    h("section", { class: "card narrow", "aria-labelledby": "login-h" }, notice(),
      h("h2", { id: "login-h" }, t("login.title")),
      h("p", { class: "muted small" }, t("login.kids_hint")),
      f,
      h("p", {}, h("a", { href: "#/forgot-password" }, t("login.forgot"))),
      h("p", {}, t("login.new_parent"), " ", h("a", { href: "#/signup" }, t("signup.title")))));
}

function signupView(ctx) {
  ctx.title = t("signup.tab");
  const f = form({
    label: t("signup.title"),
    fields: [
      field({ name: "display_name", label: t("signup.name"), autocomplete: "name", required: true, maxlength: 100 }),
      field({ name: "email", label: t("signup.email"), type: "email", autocomplete: "email", required: true }),
      field({ name: "password", label: t("login.password"), type: "password", autocomplete: "new-password", required: true, minlength: 8, hint: t("signup.password_hint") }),
    ],
    submit: t("signup.submit"),
    busy: t("signup.busy"),
    onsubmit: async (v) => {
      const email = v.email.trim();
      await api("POST", "/auth/signup", { email, password: v.password, display_name: v.display_name.trim() });
      replace(main, checkEmailView(ctx, email, async () => {
        await api("POST", "/auth/login", { login: email, password: v.password });
        await loadMe();
        go("#/");
      }));
      document.title = ctx.title + " · Pixel Pals";
      main.focus();
    },
  });
  return h("section", { class: "card narrow", "aria-labelledby": "signup-h" },
    h("h1", { id: "signup-h" }, t("signup.title")),
    h("p", {}, t("signup.intro")),
    f,
    h("p", {}, t("signup.have_account"), " ", h("a", { href: "#/login" }, t("login.title"))));
}

function pendingView(ctx) {
  ctx.title = t("pending.title");
  const status = h("p", { role: "status", class: "ok-msg" });
  const check = h("button", { class: "btn", type: "button" }, t("pending.check"));
  check.addEventListener("click", async () => {
    check.disabled = true;
    await loadMe();
    check.disabled = false;
    if (state.me && state.me.user.approved_by_admin) go("#/");
    else if (state.me) status.textContent = t("pending.not_yet");
    else route(); // declined, or logged out
  });
  ctx.poll = async () => {
    await loadMe();
    if (!state.me || state.me.user.approved_by_admin) route();
  };
  return h("section", { class: "card narrow hero", "aria-labelledby": "pending-h" }, sprite(),
    h("h1", { id: "pending-h" }, t("pending.title")),
    h("p", {}, t("pending.thanks", { name: ctx.me.profile.display_name })),
    h("ol", { class: "steps" },
      h("li", {}, t("pending.step1")),
      h("li", {}, t("pending.step2")),
      h("li", {}, t("pending.step3")),
      h("li", {}, t("pending.step4"))),
    h("div", { class: "row" }, check), status);
}

// declinedView tells a parent whose sign-up an admin declined what
// happened and what they can do; their account is already gone.
function declinedView(ctx) {
  ctx.title = t("declined.title");
  const again = h("a", { class: "btn", href: "#/signup" }, t("declined.again"));
  const other = h("a", { class: "btn ghost", href: "#/login" }, t("declined.other"));
  return h("section", { class: "card narrow hero", "aria-labelledby": "declined-h" }, sprite(),
    h("h1", { id: "declined-h" }, t("declined.title")),
    h("p", {}, t("declined.text")),
    h("h2", {}, t("declined.what")),
    h("ul", { class: "steps" },
      h("li", {}, t("declined.mistake")),
      h("li", {}, t("declined.signup_again"))),
    h("div", { class: "row" }, again, other));
}

window.addEventListener("hashchange", route);
route();

// Pixel Pals in the browser: a hash router over a few views, one live
// connection, and polling by REST whenever that connection is down.
import { h, replace } from "./dom.js";
import { api, onUnauthorized } from "./api.js";
import { field, form } from "./forms.js";
import { Live } from "./live.js";
import { parentHome, childPage } from "./parent.js";
import { childChats, childFriends, childLogins, childMe } from "./child.js";
import { adminPending, adminUsers, adminReports, adminAudit } from "./admin.js";
import { chatView } from "./chat.js";
import { sleepWatch, sleepTop } from "./sleep.js";
import { leakNotices } from "./notices.js";
import { activityPage } from "./activity.js";
import { notificationSettingsPage } from "./notify-settings.js";
import { setAudience } from "./words.js";
import { EventType } from "./events.js";
import { publicView, checkEmailView } from "./recovery.js";
import { registerWorker, offlineView } from "./pwa.js";
import { forgetDevice } from "./push.js";
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
    liveEl.textContent = s === "live" ? "● Live" : "Reconnecting…";
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
  state.notice = state.rejected ? "" : "Your session has ended. Please log in again.";
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
  PARENT: [["#/", "My children"]],
  CHILD: [["#/", "Chats"], ["#/friends", "Friends"], ["#/logins", "Game logins"], ["#/me", "Me"]],
  ADMIN: [["#/admin/pending", "Parents to approve"], ["#/admin/users", "Users"], ["#/admin/reports", "Reports"], ["#/admin/audit", "Audit log"]],
};

function drawShell() {
  const me = state.me;
  const items = me && (me.user.role !== "PARENT" || me.user.approved_by_admin) ? navs[me.user.role] || [] : [];
  const current = location.hash || "#/";
  replace(nav, items.map(([href, text]) => {
    const active = href === current || (href !== "#/" && current.startsWith(href)) ||
      (href === "#/" && (current.startsWith("#/chat") || current.startsWith("#/child/")));
    return h("a", { href, "aria-current": active ? "page" : null }, text);
  }));
  nav.hidden = items.length === 0;
  whoami.textContent = me ? `${me.profile.display_name}` : "";
  logoutBtn.hidden = !me;
  if (!me) logoutErr.textContent = "";
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
    await forgetDevice();
    await api("POST", "/auth/logout");
  } catch (e) {
    if (e.status !== 401) {
      logoutErr.textContent = "Logging out failed: " + e.message + " You are still logged in; try again.";
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

async function loadMe() {
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
  const ctx = { me: state.me, go, live, alive: true, reloadMe: loadMe };
  // A mailed link's page (recovery.js) opens logged in or not.
  let view = publicView(ctx, parts);
  if (!view && !state.me) {
    if (parts[0] === "signup" || parts[0] === "login") state.rejected = false;
    view = state.offline ? offlineView(ctx, route) : parts[0] === "signup" ? signupView(ctx) : state.rejected ? declinedView(ctx) : loginView(ctx);
  } else if (!view) {
    if (live.stopped && activeUser(state.me)) { live.start(); notices.load(); }
    view = userView(ctx, parts);
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

function userView(ctx, parts) {
  const me = ctx.me;
  const role = me.user.role;
  if (role === "PARENT" && !me.user.approved_by_admin) return pendingView(ctx);
  if (role === "PARENT") {
    if (parts[0] === "child" && parts[2] === "chat") return chatView(ctx, Number(parts[3]), `#/child/${parts[1]}`, Number(parts[1]));
    if (parts[0] === "child" && parts[2] === "activity") return activityPage(ctx, Number(parts[1]));
    if (parts[0] === "child") return childPage(ctx, Number(parts[1]));
    if (parts[0] === "notifications") return notificationSettingsPage(ctx);
    if (parts[0] === "chat") return chatView(ctx, Number(parts[1]), "#/");
    return parentHome(ctx);
  }
  if (role === "CHILD") {
    sleepWatch.start();
    if (parts[0] === "chat") return chatView(ctx, Number(parts[1]), "#/");
    const top = sleepTop(ctx);
    if (parts[0] === "friends") return h("div", {}, top, childFriends(ctx));
    if (parts[0] === "logins") return h("div", {}, top, childLogins(ctx));
    if (parts[0] === "me") return h("div", {}, top, childMe(ctx));
    return h("div", {}, top, childChats(ctx));
  }
  if (role === "ADMIN") {
    if (parts[1] === "users") return adminUsers(ctx);
    if (parts[1] === "reports") return adminReports(ctx);
    if (parts[1] === "audit") return adminAudit(ctx);
    return adminPending(ctx);
  }
  return h("p", { class: "error" }, "Unknown account type.");
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
  ctx.title = "Log in";
  const f = form({
    label: "Log in",
    fields: [
      field({ name: "login", label: "Email or login name", autocomplete: "username", required: true, autocapitalize: "none", spellcheck: "false" }),
      field({ name: "password", label: "Password", type: "password", autocomplete: "current-password", required: true }),
    ],
    submit: "Log in",
    busy: "Logging in…",
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
      h("h1", { id: "welcome" }, "Welcome to Pixel Pals!"),
      h("p", {}, "Kids chat with friends their parents know. Parents can always see the chats.")),
    h("section", { class: "card narrow", "aria-labelledby": "login-h" }, notice(),
      h("h2", { id: "login-h" }, "Log in"),
      h("p", { class: "muted small" }, "Kids: use the login name your parent made for you."),
      f,
      h("p", {}, h("a", { href: "#/forgot-password" }, "Forgot password?")),
      h("p", {}, "New parent? ", h("a", { href: "#/signup" }, "Create a parent account"))));
}

function signupView(ctx) {
  ctx.title = "Sign up";
  const f = form({
    label: "Create a parent account",
    fields: [
      field({ name: "display_name", label: "Your name", autocomplete: "name", required: true, maxlength: 100 }),
      field({ name: "email", label: "Email", type: "email", autocomplete: "email", required: true }),
      field({ name: "password", label: "Password", type: "password", autocomplete: "new-password", required: true, minlength: 8, hint: "At least 8 characters." }),
    ],
    submit: "Create account",
    busy: "Creating…",
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
    h("h1", { id: "signup-h" }, "Create a parent account"),
    h("p", {}, "Only parents sign up. You then make accounts for your children and approve who they chat with."),
    f,
    h("p", {}, "Already have an account? ", h("a", { href: "#/login" }, "Log in")));
}

function pendingView(ctx) {
  ctx.title = "Awaiting approval";
  const status = h("p", { role: "status", class: "ok-msg" });
  const check = h("button", { class: "btn", type: "button" }, "Check again");
  check.addEventListener("click", async () => {
    check.disabled = true;
    await loadMe();
    check.disabled = false;
    if (state.me && state.me.user.approved_by_admin) go("#/");
    else if (state.me) status.textContent = "Not approved yet. This page changes by itself as soon as an admin decides.";
    else route(); // declined, or logged out
  });
  ctx.poll = async () => {
    await loadMe();
    if (!state.me || state.me.user.approved_by_admin) route();
  };
  return h("section", { class: "card narrow hero", "aria-labelledby": "pending-h" }, sprite(),
    h("h1", { id: "pending-h" }, "Awaiting approval"),
    h("p", {}, `Thanks for signing up, ${ctx.me.profile.display_name}! A Pixel Pals admin checks every new parent account before it can be used.`),
    h("ol", { class: "steps" },
      h("li", {}, "You signed up ✔"),
      h("li", {}, "You confirm your email with the link we mailed you"),
      h("li", {}, "An admin checks your account (usually soon); this page shows what they decide"),
      h("li", {}, "You create accounts for your children")),
    h("div", { class: "row" }, check), status);
}

// declinedView tells a parent whose sign-up an admin declined what
// happened and what they can do; their account is already gone.
function declinedView(ctx) {
  ctx.title = "Your request was declined";
  const again = h("a", { class: "btn", href: "#/signup" }, "Sign up again");
  const other = h("a", { class: "btn ghost", href: "#/login" }, "Log in with another account");
  return h("section", { class: "card narrow hero", "aria-labelledby": "declined-h" }, sprite(),
    h("h1", { id: "declined-h" }, "Your request was declined"),
    h("p", {}, "A Pixel Pals admin looked at your sign-up and declined it. Your account has been removed, with everything in it: nothing of it is kept, and you cannot log in with it any more."),
    h("h2", {}, "What you can do"),
    h("ul", { class: "steps" },
      h("li", {}, "If you think this was a mistake, write to the people who run this Pixel Pals service and tell them who you are."),
      h("li", {}, "You can sign up again, with the same email, at any time.")),
    h("div", { class: "row" }, again, other));
}

window.addEventListener("hashchange", route);
route();

// Verified emails and password recovery (issue 22.4, docs/security.md):
// the "check your email" step after sign-up, the page a verification link
// opens, and "forgot password?" with the page a reset link opens.
//
// A link's token rides in the URL's fragment (#/verify-email/<token>),
// which the browser never sends to a server; the page takes it, then
// drops it from the address bar and the history, so that it is not left
// on screen or in "recently visited".
import { h } from "./dom.js";
import { api } from "./api.js";
import { field, form } from "./forms.js";
import { t } from "./i18n.js";

// publicView is the page of a recovery route, for anyone logged in or
// not; null for the other routes.
export function publicView(ctx, parts) {
  if (parts[0] === "verify-email") return verifyView(ctx, parts[1]);
  if (parts[0] === "forgot-password") return forgotView(ctx);
  if (parts[0] === "reset-password") return resetView(ctx, parts[1]);
  return null;
}

// dropToken takes the token out of the address bar and the history.
function dropToken(route) {
  history.replaceState(null, "", location.pathname + location.search + "#/" + route);
}

function card(id, title, ...body) {
  return h("section", { class: "card narrow", "aria-labelledby": id },
    h("h1", { id }, title), ...body);
}

function noLink(what) {
  return h("p", { class: "error box", role: "alert" }, t("recovery.no_link", { what }));
}

// checkEmailView is the step after a sign-up: where the link went, and a
// way on. The sign-up answered the same whether or not the address
// already had an account (no one learns that from this page); onContinue
// logs in and goes on.
export function checkEmailView(ctx, email, onContinue) {
  ctx.title = t("recovery.check_title");
  const status = h("p", { class: "error box", role: "alert" });
  const next = h("button", { class: "btn", type: "button" }, t("recovery.continue"));
  next.addEventListener("click", async () => {
    next.disabled = true;
    status.textContent = "";
    try {
      await onContinue();
    } catch (e) {
      status.textContent = e.code === "invalid_credentials"
        ? t("recovery.cant_login")
        : e.message;
    } finally {
      next.disabled = false;
    }
  });
  return card("check-h", t("recovery.check_title"),
    h("p", {}, t("recovery.sent_to"), " ", h("strong", {}, email), t("recovery.sent_to_end")),
    h("p", { class: "muted small" }, t("recovery.nothing_there")),
    h("ol", { class: "steps" },
      h("li", {}, t("pending.step1")),
      h("li", {}, t("recovery.step2")),
      h("li", {}, t("recovery.step3"))),
    h("div", { class: "row" }, next), status);
}

function verifyView(ctx, token) {
  ctx.title = t("recovery.confirm_title");
  if (!token) return card("verify-h", t("recovery.confirm_title"), noLink(t("recovery.signup_again")));
  dropToken("verify-email");
  const status = h("p", { role: "status", class: "ok-msg" }, t("recovery.confirming"));
  const err = h("p", { class: "error box", role: "alert" });
  const page = card("verify-h", t("recovery.confirm_title"), status, err,
    h("p", {}, h("a", { href: "#/" }, ctx.me ? t("recovery.go") : t("login.title"))));
  api("POST", "/auth/verify-email", { token }).then(
    () => { status.textContent = t("recovery.confirmed"); },
    (e) => {
      status.textContent = "";
      err.textContent = e.field === "token" ? t("recovery.verify_expired") : e.message;
    });
  return page;
}

function forgotView(ctx) {
  ctx.title = t("recovery.forgot_tab");
  const done = h("p", { role: "status", class: "ok-msg" });
  const f = form({
    label: t("recovery.ask_new"),
    fields: [field({ name: "email", label: t("signup.email"), type: "email", autocomplete: "email", required: true })],
    submit: t("recovery.send_link"),
    busy: t("child.sending"),
    onsubmit: async (v) => {
      await api("POST", "/auth/password-reset", { email: v.email.trim() });
      done.textContent = t("recovery.reset_sent", { email: v.email.trim() });
    },
  });
  return card("forgot-h", t("recovery.forgot_title"),
    h("p", {}, t("recovery.forgot_text")),
    h("p", { class: "muted small" }, t("recovery.kids")),
    f, done,
    h("p", {}, h("a", { href: "#/login" }, t("recovery.back"))));
}

function resetView(ctx, token) {
  ctx.title = t("recovery.reset_title");
  if (!token) return card("reset-h", t("recovery.reset_title"), noLink(t("recovery.ask_again")));
  dropToken("reset-password");
  const done = h("div", {});
  const f = form({
    label: t("recovery.reset_title"),
    fields: [field({ name: "password", label: t("account.new_password"), type: "password", autocomplete: "new-password", required: true, minlength: 8, hint: t("signup.password_hint") })],
    submit: t("account.set_password"),
    busy: t("logins.saving"),
    onsubmit: async (v) => {
      try {
        await api("POST", "/auth/password-reset/confirm", { token, password: v.password });
      } catch (e) {
        if (e.field !== "token") throw e;
        throw Object.assign(new Error(t("recovery.reset_expired")), { field: "" });
      }
      f.hidden = true;
      done.append(h("p", { class: "ok-msg", role: "status" }, t("recovery.changed")),
        h("a", { class: "btn", href: "#/login" }, t("login.title")));
    },
  });
  return card("reset-h", t("recovery.reset_title"),
    h("p", {}, t("recovery.choose")), f, done,
    h("p", {}, h("a", { href: "#/forgot-password" }, t("recovery.new_link"))));
}

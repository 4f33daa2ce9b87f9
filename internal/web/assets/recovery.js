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
  return h("p", { class: "error box", role: "alert" },
    `This page needs the link from the mail we sent you. Open that link again, or ${what}.`);
}

// checkEmailView is the step after a sign-up: where the link went, and a
// way on. The sign-up answered the same whether or not the address
// already had an account (no one learns that from this page); onContinue
// logs in and goes on.
export function checkEmailView(ctx, email, onContinue) {
  ctx.title = "Check your email";
  const status = h("p", { class: "error box", role: "alert" });
  const next = h("button", { class: "btn", type: "button" }, "Continue");
  next.addEventListener("click", async () => {
    next.disabled = true;
    status.textContent = "";
    try {
      await onContinue();
    } catch (e) {
      status.textContent = e.code === "invalid_credentials"
        ? "We couldn't log you in with that password. If this address already had an account, we sent it a mail: use \"Forgot password?\" on the login page."
        : e.message;
    } finally {
      next.disabled = false;
    }
  });
  return card("check-h", "Check your email",
    h("p", {}, "We sent a mail to ", h("strong", {}, email), ". Open the link in it within 24 hours to confirm that the address is yours."),
    h("p", { class: "muted small" }, "Nothing there? Look in the spam folder. Signing up again with the same address sends a new link."),
    h("ol", { class: "steps" },
      h("li", {}, "You signed up ✔"),
      h("li", {}, "You confirm your email with the link"),
      h("li", {}, "An admin checks your account, then you create accounts for your children")),
    h("div", { class: "row" }, next), status);
}

function verifyView(ctx, token) {
  ctx.title = "Confirm your email";
  if (!token) return card("verify-h", "Confirm your email", noLink("sign up again with the same address for a new link"));
  dropToken("verify-email");
  const status = h("p", { role: "status", class: "ok-msg" }, "Confirming…");
  const err = h("p", { class: "error box", role: "alert" });
  const page = card("verify-h", "Confirm your email", status, err,
    h("p", {}, h("a", { href: "#/" }, ctx.me ? "Go to Pixel Pals" : "Log in")));
  api("POST", "/auth/verify-email", { token }).then(
    () => { status.textContent = "Thank you: your email address is confirmed."; },
    (e) => {
      status.textContent = "";
      err.textContent = e.field === "token"
        ? "This link doesn't work any more: it was used already, or is older than 24 hours. Sign up again with the same address for a new one."
        : e.message;
    });
  return page;
}

function forgotView(ctx) {
  ctx.title = "Forgot password";
  const done = h("p", { role: "status", class: "ok-msg" });
  const f = form({
    label: "Ask for a new password",
    fields: [field({ name: "email", label: "Email", type: "email", autocomplete: "email", required: true })],
    submit: "Send me a link",
    busy: "Sending…",
    onsubmit: async (v) => {
      await api("POST", "/auth/password-reset", { email: v.email.trim() });
      done.textContent = `If an account uses ${v.email.trim()}, we sent it a link to set a new password. It works once, for 30 minutes.`;
    },
  });
  return card("forgot-h", "Forgot your password?",
    h("p", {}, "Type the email you signed up with, and we'll mail you a link to set a new password."),
    h("p", { class: "muted small" }, "Kids: your parent can set a new password for you."),
    f, done,
    h("p", {}, h("a", { href: "#/login" }, "Back to log in")));
}

function resetView(ctx, token) {
  ctx.title = "Set a new password";
  if (!token) return card("reset-h", "Set a new password", noLink("ask for a new one with \"Forgot password?\" on the login page"));
  dropToken("reset-password");
  const done = h("div", {});
  const f = form({
    label: "Set a new password",
    fields: [field({ name: "password", label: "New password", type: "password", autocomplete: "new-password", required: true, minlength: 8, hint: "At least 8 characters." })],
    submit: "Set password",
    busy: "Saving…",
    onsubmit: async (v) => {
      try {
        await api("POST", "/auth/password-reset/confirm", { token, password: v.password });
      } catch (e) {
        if (e.field !== "token") throw e;
        throw Object.assign(new Error("This link doesn't work any more: it was used already, or is older than 30 minutes. Ask for a new one."), { field: "" });
      }
      f.hidden = true;
      done.append(h("p", { class: "ok-msg", role: "status" }, "Your password is changed, and every device that was logged in is logged out."),
        h("a", { class: "btn", href: "#/login" }, "Log in"));
    },
  });
  return card("reset-h", "Set a new password",
    h("p", {}, "Choose a new password for your account."), f, done,
    h("p", {}, h("a", { href: "#/forgot-password" }, "Ask for a new link")));
}

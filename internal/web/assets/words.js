// Kind words: what the page says when the API refuses something. The API's
// own messages are for developers ("no such image of yours: upload it with
// POST /media first"); children and parents read these instead. One table,
// keyed by the API's error code (docs/spec.md), and by "code:field" where
// the field makes a better sentence. A code missing here falls back on
// its status; the API's message is kept on the error (devMessage) for the
// console and for admins. The tables hold catalog keys (i18n.js): the words
// are looked up in the page's language when an error is shown.
import { t, k, list } from "./i18n.js";

const byCode = {
  network: k("error.network"),
  unauthorized: k("error.unauthorized"),
  invalid_credentials: k("error.invalid_credentials"),
  account_rejected: k("error.account_rejected"),
  awaiting_approval: k("error.awaiting_approval"),
  account_suspended: k("error.account_suspended"),
  csrf_failed: k("error.csrf_failed"),
  forbidden: k("error.forbidden"),
  not_found: k("error.not_found"),
  conflict: k("error.conflict"),
  conversation_frozen: k("error.conversation_frozen"),
  too_large: k("error.too_large"),
  request_timeout: k("error.request_timeout"),
  unsupported_media_type: k("error.unsupported_media_type"),
  rate_limited: k("error.rate_limited"),
  unavailable: k("error.unavailable"),
  internal: k("error.internal"),
  invalid: k("error.invalid"),
  method_not_allowed: k("error.method_not_allowed"),
  upgrade_required: k("error.upgrade_required"),
  account_unavailable: { child: k("error.account_unavailable.child"), parent: k("error.account_unavailable.parent") },
  credential_unreadable: { child: k("error.credential_unreadable.child"), parent: k("error.credential_unreadable.parent") },
};

const byField = {
  "invalid:email": k("error.invalid:email"),
  "invalid:password": k("error.invalid:password"),
  "invalid:token": k("error.invalid:token"),
  "invalid:game_name": k("error.invalid:game_name"),
  "invalid:username": k("error.invalid:username"),
  "invalid:time_zone": k("error.invalid:time_zone"),
  "invalid:weekday": k("error.invalid:weekday"),
  "invalid:weekday.start": k("error.invalid:weekday.start"),
  "invalid:weekday.end": k("error.invalid:weekday.end"),
  "invalid:weekend.start": k("error.invalid:weekend.start"),
  "invalid:weekend.end": k("error.invalid:weekend.end"),
  "invalid:avatar_media_id": k("error.invalid:avatar_media_id"),
  "invalid:login": k("error.invalid:login"),
  "invalid:display_name": k("error.invalid:display_name"),
  "invalid:bio": k("error.invalid:bio"),
  "invalid:title": k("error.invalid:title"),
  "invalid:content": k("error.invalid:content"),
  "invalid:caption": k("error.invalid:caption"),
  "invalid:reason": k("error.invalid:reason"),
  "invalid:media_id": k("error.invalid:media_id"),
  "invalid:file": k("error.invalid:file"),
  "invalid:friend_code": k("error.invalid:friend_code"),
  "not_found:friend_code": k("error.not_found:friend_code"),
  "invalid:code": k("error.invalid:code"),
  "not_found:code": k("error.not_found:code"),
  "invalid:member_ids": k("error.invalid:member_ids"),
  "forbidden:member_ids": k("error.forbidden:member_ids"),
  "forbidden:user_id": k("error.forbidden:user_id"),
  "conflict:email": k("error.conflict:email"),
  "conflict:login": k("error.conflict:login"),
  "conflict:user_id": k("error.conflict:user_id"),
  "conflict:friend_code": k("error.conflict:friend_code"),
};

// These codes' messages are written by the server for the child (the quiet
// time's end, the game whose password was in the message): shown as sent.
const spoken = new Set(["sleep_mode", "password_in_message"]);

let audience = "child"; // until someone logs in, speak as to a child

// setAudience picks the words for who is logged in: "CHILD", "PARENT" or
// "ADMIN" (admins read the API's own message after the kind words).
export function setAudience(role) {
  audience = role === "PARENT" ? "parent" : role === "ADMIN" ? "admin" : "child";
}

function pick(entry) {
  if (!entry) return entry;
  return t(typeof entry === "string" ? entry : audience === "parent" ? entry.parent : entry.child);
}

function byStatus(status) {
  if (status === 404) return t(byCode.not_found);
  if (status === 401) return t(byCode.unauthorized);
  if (status === 403) return t(byCode.forbidden);
  if (status === 413) return t(byCode.too_large);
  if (status === 429) return t(byCode.rate_limited);
  if (status >= 500 || status === 0) return t(byCode.unavailable);
  return t("error.other");
}

// kindWords is the sentence to show for an API error.
export function kindWords(status, code, field, devMessage) {
  if (spoken.has(code) && devMessage) return devMessage;
  const words = pick(byField[`${code}:${field}`]) || pick(byCode[code]) || byStatus(status);
  if (audience === "admin" && devMessage && devMessage !== words) return `${words} (${devMessage})`;
  return words;
}

// listNames joins names as the page's language says them: "Zoe", "Zoe and
// Ben", "Zoe, Ben and Mia".
export function listNames(names) {
  if (names.length < 2) return names.join("");
  return list(names);
}

// notFriendsYet says why the contact rule refused a group (403 forbidden
// on member_ids or user_id): joining is the names of who was to come in,
// others the children already in it (the one asking left out). The API
// names nobody, on purpose; the page knows whom it asked for, so when
// only one pair can be the reason it names that pair.
export function notFriendsYet(joining, others) {
  const why = t("group.why");
  if (joining.length === 1 && others.length === 0) return t("group.cant_join", { name: joining[0] });
  if (joining.length === 1 && others.length === 1) return t("group.pair_not_friends", { a: joining[0], b: others[0], why });
  if (joining.length === 2 && others.length === 0) return t("group.pair_not_friends", { a: joining[0], b: joining[1], why });
  if (joining.length === 1 && others.length > 1) {
    return t("group.not_friends_with_all", { name: joining[0], others: listNames(others), why });
  }
  return t("group.some_not_friends", { names: listNames([...joining, ...others]), why });
}

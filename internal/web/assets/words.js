// Kind words: what the page says when the API refuses something. The API's
// own messages are for developers ("no such image of yours: upload it with
// POST /media first"); children and parents read these instead. One table,
// keyed by the API's error code (docs/spec.md), and by "code:field" where
// the field makes a better sentence. A code missing here falls back on
// its status; the API's message is kept on the error (devMessage) for the
// console and for admins.

const byCode = {
  network: "Pixel Pals can't be reached right now. Check the internet connection and try again.",
  unauthorized: "You are logged out. Please log in again.",
  invalid_credentials: "That login name or password doesn't match. Check them and try again.",
  account_rejected: "An admin declined this parent account, so it was removed. You can sign up again.",
  awaiting_approval: "Your account is still waiting for an admin to approve it.",
  account_suspended: "This account is paused by the Pixel Pals team.",
  account_unavailable: {
    child: "You can't log in right now. Ask your parent to help.",
    parent: "This child can't log in while your account is not approved or is paused.",
  },
  csrf_failed: "Please reload the page and try again.",
  forbidden: "Sorry, you can't do that here.",
  not_found: "We couldn't find that. It may have been removed.",
  conflict: "Something changed in the meantime. Reload the page and try again.",
  conversation_frozen: "This chat is paused, so messages can't be sent right now.",
  too_large: "That is too big to send. Try a smaller picture or a shorter voice clip.",
  request_timeout: "That took too long to arrive. Check your connection, then try again.",
  unsupported_media_type: "Pixel Pals can't use that kind of file. Try a PNG, JPEG, GIF or WebP picture.",
  rate_limited: "Whoa, that's a lot at once! Wait a moment, then try again.",
  unavailable: "Pixel Pals is very busy right now. Try again in a moment.",
  internal: "Something went wrong on our side. Try again in a moment.",
  credential_unreadable: {
    child: "This game login can't be shown right now. Ask your parent to type its password again.",
    parent: "This saved game login can't be read any more. Type its password again to fix it.",
  },
  invalid: "Something there isn't quite right. Check it and try again.",
  method_not_allowed: "Sorry, that didn't work. Reload the page and try again.",
  upgrade_required: "Sorry, that didn't work. Reload the page and try again.",
};

const byField = {
  "invalid:email": "Type an email address, like name@example.com.",
  "invalid:password": "That password won't do. Type one that follows the hint.",
  "invalid:token": "This link doesn't work any more: it was used already, or is too old. Ask for a new one.",
  "invalid:game_name": "Type the game's name.",
  "invalid:username": "Type the username for the game.",
  "invalid:time_zone": "Pick a time zone from the list, such as Europe/Berlin.",
  "invalid:weekday": "Set a quiet time for school nights, the weekend, or both.",
  "invalid:weekday.start": "Type a time like 20:30.",
  "invalid:weekday.end": "Type a time like 07:00, not the same as the start.",
  "invalid:weekend.start": "Type a time like 21:30.",
  "invalid:weekend.end": "Type a time like 08:30, not the same as the start.",
  "invalid:avatar_media_id": "That picture didn't arrive. Try choosing it again.",
  "invalid:login": "Use only letters, numbers, dots, dashes and underscores for the login name.",
  "invalid:display_name": "Type a name with letters people can see.",
  "invalid:bio": "Type a few words people can see, or leave it empty.",
  "invalid:title": "Give the group a name with letters people can see.",
  "invalid:content": "Type a message with words people can see.",
  "invalid:caption": "Type a caption with words people can see.",
  "invalid:reason": "Say in a few words what is wrong.",
  "invalid:media_id": "That picture didn't arrive. Try sending it again.",
  "invalid:file": "Pixel Pals can't use that file. Try a PNG, JPEG, GIF or WebP picture.",
  "invalid:friend_code": "That friend code doesn't look right. Check it with your friend.",
  "not_found:friend_code": "Nobody has that friend code. Check it with your friend.",
  "invalid:member_ids": "You can only chat with friends both parents said OK to.",
  "forbidden:member_ids": "You can only chat with friends both parents said OK to.",
  "forbidden:user_id": "Everyone in a group must be friends both parents said OK to.",
  "conflict:email": "That email already has an account. Log in instead.",
  "conflict:login": "That login name is taken. Try another one.",
  "conflict:user_id": "They are already in this chat.",
  "conflict:friend_code": "You have already asked to be friends.",
  "invalid:code": "That invitation code doesn't look right: it has 12 letters and numbers. Check it with the parent who gave it to you.",
  "not_found:code": "That invitation code doesn't work: it was used already, or is more than 7 days old. Ask for a new one.",
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
  if (!entry || typeof entry === "string") return entry;
  return audience === "parent" ? entry.parent : entry.child;
}

function byStatus(status) {
  if (status === 404) return byCode.not_found;
  if (status === 401) return byCode.unauthorized;
  if (status === 403) return byCode.forbidden;
  if (status === 413) return byCode.too_large;
  if (status === 429) return byCode.rate_limited;
  if (status >= 500 || status === 0) return byCode.unavailable;
  return "Sorry, that didn't work. Try again.";
}

// kindWords is the sentence to show for an API error.
export function kindWords(status, code, field, devMessage) {
  if (spoken.has(code) && devMessage) return devMessage;
  const words = pick(byField[`${code}:${field}`]) || pick(byCode[code]) || byStatus(status);
  if (audience === "admin" && devMessage && devMessage !== words) return `${words} (${devMessage})`;
  return words;
}

// listNames joins names as a child says them: "Zoe", "Zoe and Ben",
// "Zoe, Ben and Mia".
export function listNames(names) {
  if (names.length < 2) return names.join("");
  return names.slice(0, -1).join(", ") + " and " + names[names.length - 1];
}

// notFriendsYet says why the contact rule refused a group (403 forbidden
// on member_ids or user_id): joining is the names of who was to come in,
// others the children already in it (the one asking left out). The API
// names nobody, on purpose; the page knows whom it asked for, so when
// only one pair can be the reason it names that pair.
export function notFriendsYet(joining, others) {
  const why = "both their parents need to say OK.";
  if (joining.length === 1 && others.length === 0) return `${joining[0]} can't be in a group with you right now. Ask your parent to help.`;
  if (joining.length === 1 && others.length === 1) return `${joining[0]} and ${others[0]} are not friends yet: ${why}`;
  if (joining.length === 2 && others.length === 0) return `${joining[0]} and ${joining[1]} are not friends yet: ${why}`;
  if (joining.length === 1 && others.length > 1) {
    return `${joining[0]} is not friends yet with everyone in this group (${listNames(others)}). Everyone in a group must be friends, and for each two, ${why}`;
  }
  return `Some of ${listNames([...joining, ...others])} are not friends with each other yet. Everyone in a group must be friends, and for each two, ${why}`;
}

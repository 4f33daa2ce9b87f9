// The audit log in words: each entry as one sentence with names ("Anna
// Schmidt approved the contact between Mia and Ben"), from the entry and
// the page's names (GET /admin/audit-logs `names`, keyed by user id).
// Pure: no DOM, so that every action's sentence reads the same wherever
// it is shown.
import { t, k } from "../i18n.js";

// namer returns a function naming account id: its display name, else a
// fallback the entry itself holds (a removed sign-up's email), else "a
// deleted account (#id)".
export function namer(names) {
  return (id, fallback) => {
    if (id === undefined || id === null) return t("audit.someone");
    return (names && names[id]) || fallback || t("audit.deleted_id", { id });
  };
}

// userTarget names the account a user entry acts on, with the email its
// snapshot holds when the account is gone.
function userTarget(e, name) {
  const a = e.after_json || {}, b = e.before_json || {};
  return name(e.entity_id, b.email || a.email || (a.user && a.user.email));
}

// The words of a report's outcome ("dismissed report #3").
const resolutionWords = { dismissed: k("audit.report_dismissed"), message_deleted: k("audit.report_deleted") };

// What each action says, as a catalog key and its names: e is the entry,
// d its after (else before) JSON, name the namer. Every sentence has
// {who}, the actor, filled in by sentence().
const target = (e, name) => ({ target: userTarget(e, name) });
const entity = (e, name) => ({ target: name(e.entity_id) });
const pair = (d, name) => ({ a: name(d.child_id), b: name(d.other_child_id) });
const game = (d, name) => ({ game: d.game_name || t("audit.game"), child: name(d.child_id) });
const blocking = (e, d, name, mine, theirs) => d.child_id === e.actor_id ? [mine, { other: name(d.other_child_id) }]
  : [theirs, { other: name(d.other_child_id), child: name(d.child_id) }];
const says = {
  "admin.create": (e, d, name) => [k("audit.admin_create"), target(e, name)],
  "user.approve": (e, d, name) => [k("audit.user_approve"), target(e, name)],
  "user.reject": (e, d, name) => [k("audit.user_reject"), target(e, name)],
  "user.suspend": (e, d, name) => d.report_id ? [k("audit.user_suspend_report"), { ...target(e, name), report: d.report_id }]
    : [k("audit.user_suspend"), target(e, name)],
  "user.reinstate": (e, d, name) => [k("audit.user_reinstate"), target(e, name)],
  "user.delete": (e, d, name) => [k("audit.user_delete"), target(e, name)],
  "keys.rotate": () => [k("audit.keys_rotate"), {}],
  "user.password_reset": () => [k("audit.user_password_reset"), {}],
  "report.create": (e, d, name) => d.child_id && d.child_id !== e.actor_id
    ? [k("audit.report_create_in"), { id: e.entity_id, child: name(d.child_id) }] : [k("audit.report_create"), { id: e.entity_id }],
  "report.resolve": (e, d) => [resolutionWords[d.resolution] || k("audit.report_resolved"), { id: e.entity_id }],
  "message.delete": (e, d, name) => [k("audit.message_delete"), { sender: name(d.sender_id) }],
  "child.create": (e, d) => [k("audit.child_create"), { name: d.display_name || "" }],
  "child.rename": (e, d, name) => [k("audit.child_rename"), entity(e, name)],
  "child.password_reset": (e, d, name) => [k("audit.child_password_reset"), entity(e, name)],
  "child.logout_everywhere": (e, d, name) => [k("audit.child_logout_everywhere"), entity(e, name)],
  "child.delete": (e, d, name) => [k("audit.user_delete"), target(e, name)],
  "child.avatar": (e, d, name) => [k("audit.child_avatar"), entity(e, name)],
  "friend_code.regenerate": (e, d, name) => [k("audit.friend_code"), { target: name(d.child_id || e.entity_id) }],
  "contact.request": (e, d, name) => [k("audit.contact_request"), pair(d, name)],
  "contact.approve": (e, d, name) => [k("audit.contact_approve"), pair(d, name)],
  "contact.reject": (e, d, name) => [k("audit.contact_reject"), pair(d, name)],
  "contact.revoke": (e, d, name) => [k("audit.contact_revoke"), pair(d, name)],
  "contact.block": (e, d, name) => blocking(e, d, name, k("audit.contact_block"), k("audit.contact_block_for")),
  "contact.unblock": (e, d, name) => blocking(e, d, name, k("audit.contact_unblock"), k("audit.contact_unblock_for")),
  "game_credential.create": (e, d, name) => [k("audit.game_create"), game(d, name)],
  "game_credential.update": (e, d, name) => [k("audit.game_update"), game(d, name)],
  "game_credential.delete": (e, d, name) => [k("audit.game_delete"), game(d, name)],
  "game_credential.reveal": (e, d, name) => [k("audit.game_reveal"), game(d, name)],
  "leak_guard.blocked": (e, d) => [k("audit.leak_blocked"), { game: d.game_name || t("audit.game") }],
  "leak_guard.notice_dismiss": (e, d, name) => [k("audit.leak_dismiss"), entity(e, name)],
  "sleep_mode.set": (e, d, name) => [k("audit.sleep_set"), entity(e, name)],
  "sleep_mode.clear": (e, d, name) => [k("audit.sleep_clear"), entity(e, name)],
};

// sentence says audit entry e in words, with the note a moderator left
// (after a colon, as "Admin Jo suspended Ben Weber: spamming").
export function sentence(e, names) {
  const name = namer(names);
  const d = e.after_json || e.before_json || {};
  const who = name(e.actor_id);
  const say = says[e.action];
  let text;
  if (say) {
    const [key, params] = say(e, d, name);
    text = t(key, { ...params, who }).trim();
    if (e.action === "report.resolve" && d.sender_suspended) text += t("audit.and_suspended", { sender: name(d.sender_id) });
  } else {
    text = t("audit.unknown", { who, action: e.action, entity: e.entity_type + (e.entity_id ? " #" + e.entity_id : "") });
  }
  return d.note ? `${text}: ${d.note}` : text + ".";
}

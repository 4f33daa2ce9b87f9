// The audit log in words: each entry as one sentence with names ("Anna
// Schmidt approved the contact between Mia and Ben"), from the entry and
// the page's names (GET /admin/audit-logs `names`, keyed by user id).
// Pure: no DOM, so that every action's sentence reads the same wherever
// it is shown.

// namer returns a function naming account id: its display name, else a
// fallback the entry itself holds (a removed sign-up's email), else "a
// deleted account (#id)".
export function namer(names) {
  return (id, fallback) => {
    if (id === undefined || id === null) return "someone";
    return (names && names[id]) || fallback || `a deleted account (#${id})`;
  };
}

// pair names the two children of a contact entry.
function pair(name, d) {
  return `${name(d.child_id)} and ${name(d.other_child_id)}`;
}

// userTarget names the account a user entry acts on, with the email its
// snapshot holds when the account is gone.
function userTarget(e, name) {
  const a = e.after_json || {}, b = e.before_json || {};
  return name(e.entity_id, b.email || a.email || (a.user && a.user.email));
}

const resolutionWords = { dismissed: "dismissed", message_deleted: "deleted the message of" };

// What each action says; e is the entry, d its after (else before) JSON,
// who the actor's name, name the namer.
const says = {
  "admin.create": (e, d, who, name) => `${who} created the admin account ${userTarget(e, name)}`,
  "user.approve": (e, d, who, name) => `${who} approved the parent account of ${userTarget(e, name)}`,
  "user.reject": (e, d, who, name) => `${who} declined the sign-up of ${userTarget(e, name)}`,
  "user.suspend": (e, d, who, name) => `${who} suspended ${userTarget(e, name)}` + (d.report_id ? ` (report #${d.report_id})` : ""),
  "user.reinstate": (e, d, who, name) => `${who} lifted the suspension of ${userTarget(e, name)}`,
  "user.delete": (e, d, who, name) => `${who} deleted the account of ${userTarget(e, name)}`,
  "keys.rotate": (e, d, who) => `${who} rotated the game-login encryption keys`,
  "user.password_reset": (e, d, who) => `${who} set a new password with a reset link`,
  "report.create": (e, d, who, name) => `${who} reported a message` + (d.child_id && d.child_id !== e.actor_id ? ` in ${name(d.child_id)}'s chat` : "") + ` (report #${e.entity_id})`,
  "report.resolve": (e, d, who, name) => `${who} ${resolutionWords[d.resolution] || "resolved"} report #${e.entity_id}` +
    (d.sender_suspended ? ` and suspended ${name(d.sender_id)}` : ""),
  "message.delete": (e, d, who, name) => `${who} deleted a message by ${name(d.sender_id)}`,
  "child.create": (e, d, who) => `${who} created the child account ${d.display_name || ""}`.trim(),
  "child.rename": (e, d, who, name) => `${who} renamed ${name(e.entity_id)}`,
  "child.password_reset": (e, d, who, name) => `${who} set a new password for ${name(e.entity_id)}`,
  "child.logout_everywhere": (e, d, who, name) => `${who} logged ${name(e.entity_id)} out everywhere`,
  "child.delete": (e, d, who, name) => `${who} deleted the account of ${userTarget(e, name)}`,
  "child.avatar": (e, d, who, name) => `${who} changed the picture of ${name(e.entity_id)}`,
  "friend_code.regenerate": (e, d, who, name) => `${who} made a new friend code for ${name(d.child_id || e.entity_id)}`,
  "contact.request": (e, d, who, name) => `${who} asked for a contact between ${pair(name, d)}`,
  "contact.approve": (e, d, who, name) => `${who} approved the contact between ${pair(name, d)}`,
  "contact.reject": (e, d, who, name) => `${who} declined the contact between ${pair(name, d)}`,
  "contact.revoke": (e, d, who, name) => `${who} ended the contact between ${pair(name, d)}`,
  "contact.block": (e, d, who, name) => d.child_id === e.actor_id ? `${who} blocked ${name(d.other_child_id)}`
    : `${who} blocked ${name(d.other_child_id)} for ${name(d.child_id)}`,
  "contact.unblock": (e, d, who, name) => d.child_id === e.actor_id ? `${who} unblocked ${name(d.other_child_id)}`
    : `${who} unblocked ${name(d.other_child_id)} for ${name(d.child_id)}`,
  "game_credential.create": (e, d, who, name) => `${who} added a ${d.game_name || "game"} login for ${name(d.child_id)}`,
  "game_credential.update": (e, d, who, name) => `${who} changed the ${d.game_name || "game"} login of ${name(d.child_id)}`,
  "game_credential.delete": (e, d, who, name) => `${who} removed the ${d.game_name || "game"} login of ${name(d.child_id)}`,
  "game_credential.reveal": (e, d, who, name) => `${who} looked at the ${d.game_name || "game"} password of ${name(d.child_id)}`,
  "leak_guard.blocked": (e, d, who) => `Pixel Pals stopped a message of ${who}: it held their ${d.game_name || "game"} password`,
  "leak_guard.notice_dismiss": (e, d, who, name) => `${who} dismissed the game-password notice about ${name(e.entity_id)}`,
  "sleep_mode.set": (e, d, who, name) => `${who} set sleep mode for ${name(e.entity_id)}`,
  "sleep_mode.clear": (e, d, who, name) => `${who} turned sleep mode off for ${name(e.entity_id)}`,
};

// sentence says audit entry e in words, with the note a moderator left
// (after a colon, as "Admin Jo suspended Ben Weber: spamming").
export function sentence(e, names) {
  const name = namer(names);
  const d = e.after_json || e.before_json || {};
  const who = name(e.actor_id);
  const say = says[e.action];
  const text = say ? say(e, d, who, name)
    : `${who} did ${e.action} on ${e.entity_type}${e.entity_id ? " #" + e.entity_id : ""}`;
  return d.note ? `${text}: ${d.note}` : text + ".";
}

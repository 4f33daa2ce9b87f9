// The live event types the server sends on GET /api/v1/ws, spelled as the
// server spells them (internal/eventlog's Type constants; internal/live:
// resync; the table in docs/live.md; internal/web/events_test.go checks
// they agree). Pages compare ev.type against these names, never against
// a string of their own.
export const EventType = Object.freeze({
  messageCreated: "message.created",
  messageDeleted: "message.deleted",
  // A message's reaction counts changed (chat/reactions.js).
  messageReactions: "message.reactions",
  convCreated: "conversation.created",
  convMemberAdded: "conversation.member_added",
  convMemberRemoved: "conversation.member_removed",
  convFrozen: "conversation.frozen",
  convUnfrozen: "conversation.unfrozen",
  // Another tab or device of this user read a chat (docs/chat.md "Unread").
  convRead: "conversation.read",
  contactRequested: "contact.requested",
  contactApproved: "contact.approved",
  contactRevoked: "contact.revoked",
  contactDeclined: "contact.declined",
  contactBlocked: "contact.blocked",
  contactUnblocked: "contact.unblocked",
  reportFiled: "report.filed",
  reportResolved: "report.resolved",
  sleepModeChanged: "sleep_mode.changed",
  leakGuardBlocked: "leak_guard.blocked",
  noticeDismissed: "notice.dismissed",
  guardianAdded: "guardian.added",
  guardianRemoved: "guardian.removed",
  trustedProposed: "trusted.proposed",
  trustedApproved: "trusted.approved",
  trustedActivated: "trusted.activated",
  trustedRevoked: "trusted.revoked",
  // resync is not about anything: the socket missed events, so the page
  // reloads what it shows by REST.
  resync: "resync",
});

// isConversationEvent: any conversation.* event (created, members, frozen).
export const isConversationEvent = (ev) => ev.type.startsWith("conversation.");

// isContactEvent: any contact.* event (a request, an approval, a block…).
export const isContactEvent = (ev) => ev.type.startsWith("contact.");

// isReportEvent tells which live events change a report list.
export const isReportEvent = (ev) => ev.type === EventType.reportFiled || ev.type === EventType.reportResolved;

// isGuardianEvent: a child's guardians changed (one added, one removed).
export const isGuardianEvent = (ev) => ev.type === EventType.guardianAdded || ev.type === EventType.guardianRemoved;

// isTrustedEvent: any trusted.* event (a trusted grown-up proposed,
// approved, active, revoked).
export const isTrustedEvent = (ev) => ev.type.startsWith("trusted.");

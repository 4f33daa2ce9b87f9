// Package eventlog is the log of live events (SPEC §12, docs/live.md):
// their types, the rows the store appends to the live_events outbox in the
// transaction of the action they report, and the positions readers and
// clients' cursors name. Who receives an event is decided by the store
// (store/events.go, on the rules of store/visibility.go); this package
// only writes what it is given and names where it stands.
package eventlog

// Type names a live event (SPEC §12, docs/live.md): what the web
// client and the sockets switch on. Every type the outbox is written with
// is one of the constants below, and only these.
type Type string

// The event types, by what they are about.
const (
	MessageCreated Type = "message.created"
	MessageDeleted Type = "message.deleted"
	// A message's reactions changed (store/reactions.go): to every reader
	// of its conversation, each with the counts as their history shows them.
	MessageReactions Type = "message.reactions"

	ConvCreated       Type = "conversation.created"
	ConvMemberAdded   Type = "conversation.member_added"
	ConvMemberRemoved Type = "conversation.member_removed"
	ConvFrozen        Type = "conversation.frozen"
	ConvUnfrozen      Type = "conversation.unfrozen"
	// A member marked messages read (store/unread.go): to that member's
	// own sockets only, never to the others.
	ConvRead Type = "conversation.read"

	ContactRequested Type = "contact.requested"
	ContactApproved  Type = "contact.approved"
	ContactRevoked   Type = "contact.revoked"
	// The child a request was addressed to said "not now" (store/approvals.go).
	ContactDeclined Type = "contact.declined"
	// Blocks, to the blocker and their parent (store/blocks.go).
	ContactBlocked   Type = "contact.blocked"
	ContactUnblocked Type = "contact.unblocked"

	ReportFiled    Type = "report.filed"
	ReportResolved Type = "report.resolved"

	// The child's sockets re-read their schedule at once (store/sleep.go).
	SleepModeChanged Type = "sleep_mode.changed"
	// A child's message was refused for holding a kept game password
	// (store/leakguard.go), to their parent.
	LeakGuardBlocked Type = "leak_guard.blocked"
	// A child's guardians changed (store/guardians.go): to every guardian
	// of the child before and after the change, so a removed one learns
	// of it too (and of nothing of the child after it).
	GuardianAdded   Type = "guardian.added"
	GuardianRemoved Type = "guardian.removed"
	// A child's trusted grown-ups changed (store/trusted.go): to every
	// guardian of the child; activated and revoked to the adult too.
	TrustedProposed  Type = "trusted.proposed"
	TrustedApproved  Type = "trusted.approved"
	TrustedActivated Type = "trusted.activated"
	TrustedRevoked   Type = "trusted.revoked"
	// A parent's other sessions drop a notice they dismissed (store/notices.go).
	NoticeDismissed Type = "notice.dismissed"
)

// Literal is t as an SQL string literal, for the statements that select
// events by type (the outbox's partial indexes need the literal, not a
// parameter).
func (t Type) Literal() string { return "'" + string(t) + "'" }

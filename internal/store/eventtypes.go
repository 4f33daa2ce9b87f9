package store

// EventType names a live event (SPEC §12, docs/live.md): what the web
// client and the sockets switch on. Every type the outbox is written with
// is one of the constants below, and only these.
type EventType string

// The event types, by what they are about.
const (
	EventMessageCreated EventType = "message.created"
	EventMessageDeleted EventType = "message.deleted"

	EventConvCreated       EventType = "conversation.created"
	EventConvMemberAdded   EventType = "conversation.member_added"
	EventConvMemberRemoved EventType = "conversation.member_removed"
	EventConvFrozen        EventType = "conversation.frozen"
	EventConvUnfrozen      EventType = "conversation.unfrozen"

	EventContactRequested EventType = "contact.requested"
	EventContactApproved  EventType = "contact.approved"
	EventContactRevoked   EventType = "contact.revoked"
	// Blocks, to the blocker and their parent (blocks.go).
	EventContactBlocked   EventType = "contact.blocked"
	EventContactUnblocked EventType = "contact.unblocked"

	EventReportFiled    EventType = "report.filed"
	EventReportResolved EventType = "report.resolved"

	// The child's sockets re-read their schedule at once (sleep.go).
	EventSleepModeChanged EventType = "sleep_mode.changed"
	// A child's message was refused for holding a kept game password
	// (leakguard.go), to their parent.
	EventLeakGuardBlocked EventType = "leak_guard.blocked"
	// A parent's other sessions drop a notice they dismissed (notices.go).
	EventNoticeDismissed EventType = "notice.dismissed"
)

// literal is t as an SQL string literal, for the statements that select
// events by type (the outbox's partial indexes need the literal, not a
// parameter).
func (t EventType) literal() string { return "'" + string(t) + "'" }

package audit

// Action names what an audit_logs row records (its action column,
// "entity.verb"). Every action the service audits is listed here, once:
// the values are stored, hashed into the audit chain (chain.go) and
// filtered on by admins (GET /admin/audit?action=), so a value never
// changes once written; add a new one instead. The files named beside
// each group are where they are written (the store's; keyrotation.go and
// credentials.go are the keeper's).
type Action string

const (
	// Accounts and keys, by an admin (users.go, admin.go, keyrotation.go).
	AdminCreate   Action = "admin.create"
	UserApprove   Action = "user.approve"
	UserReject    Action = "user.reject"
	UserSuspend   Action = "user.suspend"
	UserReinstate Action = "user.reinstate"
	UserDelete    Action = "user.delete"
	KeysRotate    Action = "keys.rotate"

	// An adult's own password, set with a link mailed to their address
	// (recovery.go).
	PasswordReset Action = "user.password_reset"

	// Reports and what comes of them (reports.go, messages.go): a message
	// deleted by a parent or an admin, not by its sender.
	ReportCreate  Action = "report.create"
	ReportResolve Action = "report.resolve"
	MessageDelete Action = "message.delete"

	// A parent's children (children.go, contacts.go, media.go).
	ChildCreate          Action = "child.create"
	ChildRename          Action = "child.rename"
	ChildPasswordReset   Action = "child.password_reset"
	ChildLogoutAll       Action = "child.logout_everywhere"
	ChildDelete          Action = "child.delete"
	ChildAvatar          Action = "child.avatar"
	ChildLocale          Action = "child.locale" // the child's language (locale.go)
	FriendCodeRegenerate Action = "friend_code.regenerate"

	// A child's guardians (guardians.go): an invitation made (never its
	// code), accepted, a guardian removed (or leaving), primary handed over.
	GuardianInvite      Action = "guardian.invite"
	GuardianAdd         Action = "guardian.add"
	GuardianRemove      Action = "guardian.remove"
	GuardianMakePrimary Action = "guardian.make_primary"

	// A child's trusted grown-ups (trusted.go): a code made by the adult
	// (never the code), a proposal, an approval, a revocation.
	TrustedInvite  Action = "trusted.invite"
	TrustedPropose Action = "trusted.propose"
	TrustedApprove Action = "trusted.approve"
	TrustedRevoke  Action = "trusted.revoke"

	// Contact links between children (contacts.go, blocks.go, approvals.go).
	ContactRequest Action = "contact.request"
	ContactApprove Action = "contact.approve"
	ContactReject  Action = "contact.reject"
	ContactDecline Action = "contact.decline" // by the child the request was addressed to
	ContactRevoke  Action = "contact.revoke"
	ContactBlock   Action = "contact.block"
	ContactUnblock Action = "contact.unblock"

	// Game logins a parent keeps for their child (credentials.go), and the
	// leak guard that keeps their passwords out of chats (leakguard.go:
	// a child's send refused; notices.go: the parent dismissed the notice).
	CredentialCreate  Action = "game_credential.create"
	CredentialUpdate  Action = "game_credential.update"
	CredentialDelete  Action = "game_credential.delete"
	CredentialReveal  Action = "game_credential.reveal"
	LeakGuardBlock    Action = "leak_guard.blocked"
	LeakNoticeDismiss Action = "leak_guard.notice_dismiss"

	// Sleep mode (sleep.go; the dashboard lists these, activity.go).
	SleepModeSet   Action = "sleep_mode.set"
	SleepModeClear Action = "sleep_mode.clear"
)

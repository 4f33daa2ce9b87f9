package store

// AuditAction names what an audit_logs row records (its action column,
// "entity.verb"). Every action the service audits is listed here, once:
// the values are stored, hashed into the audit chain (auditchain.go) and
// filtered on by admins (GET /admin/audit?action=), so a value never
// changes once written; add a new one instead.
type AuditAction string

const (
	// Accounts and keys, by an admin (users.go, admin.go, keyrotation.go).
	AuditAdminCreate   AuditAction = "admin.create"
	AuditUserApprove   AuditAction = "user.approve"
	AuditUserReject    AuditAction = "user.reject"
	AuditUserSuspend   AuditAction = "user.suspend"
	AuditUserReinstate AuditAction = "user.reinstate"
	AuditUserDelete    AuditAction = "user.delete"
	AuditKeysRotate    AuditAction = "keys.rotate"

	// An adult's own password, set with a link mailed to their address
	// (recovery.go).
	AuditPasswordReset AuditAction = "user.password_reset"

	// Reports and what comes of them (reports.go, messages.go): a message
	// deleted by a parent or an admin, not by its sender.
	AuditReportCreate  AuditAction = "report.create"
	AuditReportResolve AuditAction = "report.resolve"
	AuditMessageDelete AuditAction = "message.delete"

	// A parent's children (children.go, contacts.go, media.go).
	AuditChildCreate          AuditAction = "child.create"
	AuditChildRename          AuditAction = "child.rename"
	AuditChildPasswordReset   AuditAction = "child.password_reset"
	AuditChildLogoutAll       AuditAction = "child.logout_everywhere"
	AuditChildDelete          AuditAction = "child.delete"
	AuditChildAvatar          AuditAction = "child.avatar"
	AuditFriendCodeRegenerate AuditAction = "friend_code.regenerate"

	// Contact links between children (contacts.go, blocks.go).
	AuditContactRequest AuditAction = "contact.request"
	AuditContactApprove AuditAction = "contact.approve"
	AuditContactReject  AuditAction = "contact.reject"
	AuditContactRevoke  AuditAction = "contact.revoke"
	AuditContactBlock   AuditAction = "contact.block"
	AuditContactUnblock AuditAction = "contact.unblock"

	// Game logins a parent keeps for their child (credentials.go), and the
	// leak guard that keeps their passwords out of chats (leakguard.go:
	// a child's send refused; notices.go: the parent dismissed the notice).
	AuditCredentialCreate  AuditAction = "game_credential.create"
	AuditCredentialUpdate  AuditAction = "game_credential.update"
	AuditCredentialDelete  AuditAction = "game_credential.delete"
	AuditCredentialReveal  AuditAction = "game_credential.reveal"
	AuditLeakGuardBlock    AuditAction = "leak_guard.blocked"
	AuditLeakNoticeDismiss AuditAction = "leak_guard.notice_dismiss"

	// Sleep mode (sleep.go; the dashboard lists these, activity.go).
	AuditSleepModeSet   AuditAction = "sleep_mode.set"
	AuditSleepModeClear AuditAction = "sleep_mode.clear"
)

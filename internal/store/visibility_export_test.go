package store

// Visibility queries for the oracle test (visibility_test.go): each
// fragment of visibility.go over every pair the random data holds, with
// operands that name outer aliases, as the store's queries do.
var (
	// VisConvReadsSQL: per user and conversation, member, parent of a
	// member, and (for an admin) reported.
	VisConvReadsSQL = `SELECT u.id, c.id, ` + MemberSQL("c.id", "u.id") + `, ` + ParentOfMemberSQL("c.id", "u.id") + `,
		u.role = 'ADMIN' AND ` + AdminReadsSQL("c.id") + `
		FROM users u CROSS JOIN conversations c`
	VisAudiencesSQL = convAudiencesSQL
	// VisChildOfSQL: per pair of users, whether the first is a live
	// child of the second.
	VisChildOfSQL = `SELECT k.id, p.id, ` + ChildOfSQL("k", "p.id") + ` FROM users k CROSS JOIN users p`
	// VisParentUsableSQL: per user, whether their parent lets them in.
	VisParentUsableSQL = `SELECT u.id, ` + ParentUsableSQL("u", "p") + ` FROM users u LEFT JOIN users p ON p.id = u.parent_id`
	// VisMediaSQL: per upload, whether user $2 (admin: $3) may see it.
	VisMediaSQL = `SELECT md.id, ` + mediaVisibleSQL + ` FROM media md WHERE md.id > $1`
)

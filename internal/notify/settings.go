package notify

import "slices"

// The deliveries a parent chooses from, per kind (GET/PUT
// /me/notification-settings).
const (
	Now   = "now"   // a mail at once
	Daily = "daily" // kept for the daily digest (state "digest"; schedule.go)
	Off   = "off"   // not written at all
)

// Deliveries lists the choices.
var Deliveries = []string{Now, Daily, Off}

// Settable lists the kinds a parent chooses the delivery of: every kind
// but those about their own sign-up, which come before they could choose.
var Settable = slices.DeleteFunc(slices.Clone(Kinds), func(k Kind) bool { return k == AccountApproved || k == AccountDeclined })

// Default is the delivery of a kind nobody chose for: at once. Issue 22
// asks it of contact requests and leak-guard hits, which wait for the
// parent; the others follow, so that nothing a parent never chose is held
// back a day (the daily digest is theirs to pick).
func Default(Kind) string { return Now }

package api

import (
	"maps"

	"pixelpals/internal/domain"
	"pixelpals/internal/notify"
	"pixelpals/internal/store"
)

// The preferences GET/PUT /me/notification-settings carry besides the
// kinds: the zone of the daily digest's hour, and the weekly summary.
const (
	prefTimeZone = "time_zone"
	prefWeekly   = "weekly_summary"
)

// settingsView is the settings' JSON: each kind's delivery, and the
// preferences.
func settingsView(s map[notify.Kind]string, p store.NotificationPrefs) map[string]any {
	out := map[string]any{prefTimeZone: p.TimeZone, prefWeekly: p.WeeklySummary}
	for k, d := range maps.All(s) {
		out[string(k)] = d
	}
	return out
}

// pref takes key k of the PUT's body when it is a preference: isPref
// reports it, err a bad value (400 naming the field).
func (b *settingsBody) pref(k string) (isPref bool, err error) {
	switch k {
	case prefTimeZone:
		tz, ok := b.raw[k].(string)
		if !ok || !store.ValidTimeZone(tz) {
			return true, domain.Invalid(k, "must be an IANA time zone name such as Europe/Berlin")
		}
		b.timeZone = &tz
	case prefWeekly:
		on, ok := b.raw[k].(bool)
		if !ok {
			return true, domain.Invalid(k, "must be true or false")
		}
		b.weekly = &on
	default:
		return false, nil
	}
	return true, nil
}

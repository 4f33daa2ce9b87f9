package store

import (
	"testing"
	"time"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestSleepState lays quiet hours over DST changes and midnight in
// Europe/Berlin (CET +01, CEST +02; 2026-03-29 02:00 → 03:00 and
// 2026-10-25 03:00 → 02:00, both Sundays) and checks state, end and next
// start as UTC instants.
func TestSleepState(t *testing.T) {
	nights := SleepSchedule{TimeZone: "Europe/Berlin",
		Weekday: &SleepSpan{21 * 60, 7 * 60}, Weekend: &SleepSpan{22 * 60, 9 * 60}}
	cases := []struct {
		name   string
		s      SleepSchedule
		now    string
		asleep bool
		at     string // Until when asleep, Next when awake ("" = none)
	}{
		{"wednesday afternoon", nights, "2026-03-25T12:00:00Z", false, "2026-03-25T20:00:00Z"},
		{"school night starts", nights, "2026-03-25T20:00:00Z", true, "2026-03-26T06:00:00Z"},
		{"past midnight", nights, "2026-03-25T23:30:00Z", true, "2026-03-26T06:00:00Z"},
		{"last minute", nights, "2026-03-26T05:59:59Z", true, "2026-03-26T06:00:00Z"},
		{"woken at 07:00", nights, "2026-03-26T06:00:00Z", false, "2026-03-26T20:00:00Z"},
		{"friday is a weekend night", nights, "2026-03-27T20:30:00Z", false, "2026-03-27T21:00:00Z"},
		{"friday night", nights, "2026-03-27T21:00:00Z", true, "2026-03-28T08:00:00Z"},
		// Spring forward: Saturday 22:00 CET to Sunday 09:00 CEST is 10 h.
		{"spring: saturday evening", nights, "2026-03-28T20:59:00Z", false, "2026-03-28T21:00:00Z"},
		{"spring: before the change", nights, "2026-03-29T00:59:00Z", true, "2026-03-29T07:00:00Z"},
		{"spring: after the change", nights, "2026-03-29T01:00:00Z", true, "2026-03-29T07:00:00Z"},
		{"spring: sunday morning", nights, "2026-03-29T07:00:00Z", false, "2026-03-29T19:00:00Z"},
		{"spring: sunday is a school night", nights, "2026-03-29T19:00:00Z", true, "2026-03-30T05:00:00Z"},
		// Fall back: Saturday 22:00 CEST to Sunday 09:00 CET is 12 h; both
		// 02:30s are inside.
		{"fall: first 02:30", nights, "2026-10-25T00:30:00Z", true, "2026-10-25T08:00:00Z"},
		{"fall: second 02:30", nights, "2026-10-25T01:30:00Z", true, "2026-10-25T08:00:00Z"},
		{"fall: 08:59 CET", nights, "2026-10-25T07:59:00Z", true, "2026-10-25T08:00:00Z"},
		{"fall: sunday noon", nights, "2026-10-25T11:00:00Z", false, "2026-10-25T20:00:00Z"},
		// A span starting in the skipped hour starts when it would have
		// (02:30 CET = 03:30 CEST).
		{"gap: start skipped", SleepSchedule{TimeZone: "Europe/Berlin", Weekday: &SleepSpan{2*60 + 30, 4 * 60}},
			"2026-03-29T01:15:00Z", false, "2026-03-29T01:30:00Z"},
		{"gap: inside", SleepSchedule{TimeZone: "Europe/Berlin", Weekday: &SleepSpan{2*60 + 30, 4 * 60}},
			"2026-03-29T01:45:00Z", true, "2026-03-29T02:00:00Z"},
		// Adjoining spans merge: Thursday night into Friday daytime.
		{"merged", SleepSchedule{TimeZone: "Europe/Berlin", Weekday: &SleepSpan{20 * 60, 8 * 60}, Weekend: &SleepSpan{8 * 60, 20 * 60}},
			"2026-03-26T20:00:00Z", true, "2026-03-27T19:00:00Z"},
		{"no weekend span", SleepSchedule{TimeZone: "Europe/Berlin", Weekday: &SleepSpan{21 * 60, 7 * 60}},
			"2026-03-27T21:30:00Z", false, "2026-03-29T19:00:00Z"},
		{"no spans", SleepSchedule{TimeZone: "Europe/Berlin"}, "2026-03-27T21:30:00Z", false, ""},
		{"other zone", SleepSchedule{TimeZone: "America/New_York", Weekday: &SleepSpan{21 * 60, 7 * 60}},
			"2026-03-09T02:00:00Z", true, "2026-03-09T11:00:00Z"}, // Sunday 22:00 EDT (changed that morning)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := tc.s.State(utc(tc.now))
			got := st.Next
			if st.Asleep {
				got = st.Until
			}
			if st.Asleep != tc.asleep {
				t.Fatalf("at %s asleep = %v, want %v (state %+v)", tc.now, st.Asleep, tc.asleep, st)
			}
			want := time.Time{}
			if tc.at != "" {
				want = utc(tc.at)
			}
			if !got.Equal(want) {
				t.Fatalf("at %s: %v, want %v", tc.now, got.UTC(), want)
			}
		})
	}
}

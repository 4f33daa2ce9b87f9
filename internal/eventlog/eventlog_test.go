package eventlog

import (
	"encoding/json"
	"slices"
	"testing"
)

// TestPosRoundTrip: a cursor reads back as the position it names, and
// anything else is malformed.
func TestPosRoundTrip(t *testing.T) {
	for _, p := range []Pos{{0, 0}, {1, 2}, {1 << 40, 7}, {9223372036854775807, 9223372036854775807}} {
		got, err := ParsePos(p.String())
		if err != nil || got != p {
			t.Errorf("ParsePos(%q) = %v, %v; want %v", p.String(), got, err, p)
		}
	}
	for _, s := range []string{"", "1", "a.", ".b", "-1.2", "1.-2", "1.2.3", "zzzzzzzzzzzzzzzzz.zzzzzzzzzzzzzzzz"} {
		if _, err := ParsePos(s); err == nil {
			t.Errorf("ParsePos(%q) accepted a malformed cursor", s)
		}
	}
}

// TestFanOutSharesRows: viewers who see the same bytes share one row,
// those who see nothing get none, and order is kept.
func TestFanOutSharesRows(t *testing.T) {
	evs, err := FanOut(MessageCreated, []int64{9}, []int64{1, 2, 3, 4}, func(id int64) any {
		switch id {
		case 3:
			return nil
		case 2:
			return map[string]int{"v": 2}
		}
		return map[string]int{"v": 1}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || !slices.Equal(evs[0].To, []int64{1, 4}) || !slices.Equal(evs[1].To, []int64{2}) {
		t.Fatalf("rows: %+v", evs)
	}
	if string(evs[0].Data.(json.RawMessage)) != `{"v":1}` || evs[0].Type != MessageCreated || !slices.Equal(evs[0].About, []int64{9}) {
		t.Fatalf("first row: %+v", evs[0])
	}
	cols, err := Encode(append(evs, Event{Type: ReportFiled}))
	if err != nil || len(cols.types) != 2 || cols.to[0] != "{1,4}" || cols.about[1] != "{9}" {
		t.Fatalf("encoded %+v, %v: the row without recipients must be left out", cols, err)
	}
}

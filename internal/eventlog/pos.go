package eventlog

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Pos is a position in the order every reader reads events in:
// (xact, id), the writing transaction's id, then the row's.
type Pos struct{ Xact, ID int64 }

// Less orders positions.
func (p Pos) Less(q Pos) bool {
	return p.Xact < q.Xact || (p.Xact == q.Xact && p.ID < q.ID)
}

// String is the position as an opaque client cursor.
func (p Pos) String() string {
	return strconv.FormatInt(p.Xact, 36) + "." + strconv.FormatInt(p.ID, 36)
}

// ParsePos reads a cursor made by String.
func ParsePos(s string) (Pos, error) {
	x, i, ok := strings.Cut(s, ".")
	if !ok || len(s) > 32 {
		return Pos{}, errors.New("malformed cursor")
	}
	xact, err1 := strconv.ParseInt(x, 36, 64)
	id, err2 := strconv.ParseInt(i, 36, 64)
	if err1 != nil || err2 != nil || xact < 0 || id < 0 {
		return Pos{}, errors.New("malformed cursor")
	}
	return Pos{xact, id}, nil
}

// Record is one stored event row.
type Record struct {
	Pos     Pos
	Type    Type
	At      time.Time
	UserIDs []int64
	Data    json.RawMessage
	// Others, when set, is Data without the client id of the message's
	// sender (Sender): what every recipient but the sender gets.
	Others json.RawMessage
	Sender int64
}

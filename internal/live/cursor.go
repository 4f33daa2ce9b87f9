package live

import (
	"errors"
	"strings"

	"pixelpals/internal/eventlog"
)

// Cursor is where a client stands: every event of theirs up to Pos was
// sent, and, during quiet time (hold.go), those of the child's chat with
// their parent up to Ahead too. A frame's id is the cursor after it,
// "xact.id" or, with Ahead, "xact.id~xact.id"; the client hands it back
// as ?since= (docs/live.md).
type Cursor struct {
	Pos   eventlog.Pos
	Ahead eventlog.Pos // zero, or after Pos
}

func (c Cursor) String() string {
	if !c.Pos.Less(c.Ahead) {
		return c.Pos.String()
	}
	return c.Pos.String() + "~" + c.Ahead.String()
}

// ParseCursor reads a cursor made by String. An Ahead not after Pos is
// dropped: it says nothing.
func ParseCursor(s string) (Cursor, error) {
	pos, ahead, two := strings.Cut(s, "~")
	var c Cursor
	var err error
	if c.Pos, err = eventlog.ParsePos(pos); err != nil {
		return Cursor{}, err
	}
	if !two {
		return c, nil
	}
	if c.Ahead, err = eventlog.ParsePos(ahead); err != nil {
		return Cursor{}, errors.New("malformed cursor")
	}
	if !c.Pos.Less(c.Ahead) {
		c.Ahead = eventlog.Pos{}
	}
	return c, nil
}

// cursor is where the socket's client stands.
func (s *socket) cursor() Cursor { return Cursor{Pos: s.last, Ahead: s.ahead} }

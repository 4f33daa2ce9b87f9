package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// What an unsubscribe token may switch off, besides a settable kind.
const (
	UnsubscribeDaily  = "daily"  // every kind the parent gets in the daily digest
	UnsubscribeWeekly = "weekly" // the weekly summary
)

// KeyRing is where the unsubscribe key comes from: the vault's ring
// (vault.Ring), so that it is kept, and rotated, like the other server
// secrets.
type KeyRing interface {
	Newest() uint32
	PurposeKey(version uint32, purpose string) ([]byte, bool)
}

// Unsubscribe signs and checks the one-click unsubscribe tokens of the
// mails (RFC 8058). A token names the parent, what it switches off and the
// key version, and carries an HMAC of those: it holds nothing secret and
// does nothing else (it is no session, and switching off is all it can
// do, so it never expires; a rotated-out key version voids it).
type Unsubscribe struct{ Ring KeyRing }

const unsubscribePurpose = "unsubscribe"

// ErrBadToken is any token that is not one we signed for unsubscribing.
var ErrBadToken = errors.New("not a valid unsubscribe link")

// Token is the token that switches off what for parent userID: a settable
// kind, UnsubscribeDaily or UnsubscribeWeekly.
func (u Unsubscribe) Token(userID int64, what string) (string, error) {
	v := u.Ring.Newest()
	body := fmt.Sprintf("%d.%s.%d", userID, what, v)
	mac, err := u.mac(v, body)
	if err != nil {
		return "", err
	}
	return body + "." + base64.RawURLEncoding.EncodeToString(mac), nil
}

// Check returns the parent and what a token switches off, or ErrBadToken.
func (u Unsubscribe) Check(token string) (userID int64, what string, err error) {
	parts := strings.Split(token, ".")
	if len(parts) != 4 || !Unsubscribable(parts[1]) {
		return 0, "", ErrBadToken
	}
	userID, err1 := strconv.ParseInt(parts[0], 10, 64)
	v, err2 := strconv.ParseUint(parts[2], 10, 32)
	got, err3 := base64.RawURLEncoding.DecodeString(parts[3])
	if err1 != nil || err2 != nil || err3 != nil || userID <= 0 {
		return 0, "", ErrBadToken
	}
	want, err := u.mac(uint32(v), strings.Join(parts[:3], "."))
	if err != nil || !hmac.Equal(got, want) {
		return 0, "", ErrBadToken
	}
	return userID, parts[1], nil
}

func (u Unsubscribe) mac(version uint32, body string) ([]byte, error) {
	key, ok := u.Ring.PurposeKey(version, unsubscribePurpose)
	if !ok {
		return nil, ErrBadToken
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(body))
	return m.Sum(nil), nil
}

// Unsubscribable reports whether what is something a token may switch off.
func Unsubscribable(what string) bool {
	return what == UnsubscribeDaily || what == UnsubscribeWeekly || slices.Contains(Settable, Kind(what))
}

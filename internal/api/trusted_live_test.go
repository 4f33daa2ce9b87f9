package api_test

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"

	"pixelpals/internal/apitest"
)

// A trusted grown-up's events over real sockets (issue 21.3, docs/live.md).

// marked is a client whose socket is read up to a marker: a message in a
// direct chat of theirs, sent by the other member, which reaches them
// after everything done before it.
type marked struct {
	c    *apitest.Client
	s    *apitest.Socket
	chat int64           // a direct chat of c's
	by   *apitest.Client // its other member, who sends the marker
	seen []apitest.Frame // what arrived before the marker
}

// markedParent is a new approved parent with a child of their own, whose
// chat with them carries the parent's marker.
func markedParent(env *apitest.Env, admin *apitest.Client) *marked {
	f := env.Family(admin, 1)
	return &marked{c: f.Parent, chat: createDirect(f.Child(), f.Parent.UserID).ID, by: f.Child()}
}

// mark sends m's marker and reads m's socket up to it.
func (m *marked) mark(t *testing.T) {
	t.Helper()
	text := fmt.Sprint("MARKER-", m.c.UserID)
	mustSend(t, m.by, m.chat, text)
	m.seen = upToMarker(t, m.s, text)
}

// upToMarker reads s until the message.created holding text, and returns
// the frames before it.
func upToMarker(t *testing.T, s *apitest.Socket, text string) []apitest.Frame {
	t.Helper()
	var out []apitest.Frame
	for {
		f, err := s.Next(wait)
		if err != nil {
			t.Fatalf("waiting for the marker %s: %v (after %v)", text, err, types(out))
		}
		if f.Type == "message.created" && bytes.Contains(f.Data, []byte(`"`+text+`"`)) {
			return out
		}
		out = append(out, f)
	}
}

// trustedSeen lists the trusted.* events among fs as "type adult_id",
// failing on any whose data is more than {child_id, adult_id} of child:
// every recipient may see both in REST (the guardians in
// GET /children/{id}/trusted-adults, the adult in GET /me/trusted-children
// once active).
func trustedSeen(t *testing.T, who string, fs []apitest.Frame, child int64) []string {
	t.Helper()
	var out []string
	for _, f := range fs {
		if !strings.HasPrefix(f.Type, "trusted.") {
			continue
		}
		var d struct {
			ChildID int64 `json:"child_id"`
			AdultID int64 `json:"adult_id"`
		}
		if err := jsonInto(&apitest.Response{Body: f.Data}, &d); err != nil || d.ChildID != child {
			t.Fatalf("%s: %s about another child, or unreadable: %s", who, f.Type, f.Data)
		}
		sameJSON(t, who+" "+f.Type, f.Data, []byte(fmt.Sprintf(`{"child_id":%d,"adult_id":%d}`, child, d.AdultID)))
		out = append(out, fmt.Sprint(f.Type, " ", d.AdultID))
	}
	return out
}

// trustedScene is a child with three guardians (the primary, g2 and g3),
// one removed before anything happened, another family, the adult made
// trusted, an adult proposed and revoked while pending, and a stranger.
type trustedScene struct {
	k                                        *apitest.Client
	p, kid, q, g2, g3, gr, adult, pend, none *marked
}

func newTrustedScene(env *apitest.Env, admin *apitest.Client) *trustedScene {
	fa, fb := env.Family(admin, 1), env.Family(admin, 1)
	k := fa.Child()
	pk := createDirect(k, fa.Parent.UserID).ID
	sc := &trustedScene{k: k,
		p:   &marked{c: fa.Parent, chat: pk, by: k},
		kid: &marked{c: k, chat: pk, by: fa.Parent},
		q:   &marked{c: fb.Parent, chat: createDirect(fb.Child(), fb.Parent.UserID).ID, by: fb.Child()},
		g2:  markedParent(env, admin), g3: markedParent(env, admin), gr: markedParent(env, admin),
		adult: markedParent(env, admin), pend: markedParent(env, admin), none: markedParent(env, admin)}
	for _, g := range []*marked{sc.g2, sc.g3, sc.gr} {
		g.c.Must(200, "POST", "/guardian-invites/accept", map[string]string{"code": fa.Parent.Invite(k.UserID)}, nil)
	}
	fa.Parent.Must(204, "DELETE", fmt.Sprintf("/children/%d/guardians/%d", k.UserID, sc.gr.c.UserID), nil, nil)
	for _, m := range sc.all() {
		m.s = m.c.Socket("")
	}
	return sc
}

func (sc *trustedScene) all() []*marked {
	return []*marked{sc.p, sc.kid, sc.q, sc.g2, sc.g3, sc.gr, sc.adult, sc.pend, sc.none}
}

// play proposes the adult (the primary), approves them (g2, then g3,
// which activates), proposes and revokes the other adult while pending,
// removes g3, and revokes the adult (g2). It returns the codes spent.
func (sc *trustedScene) play(t *testing.T) []string {
	t.Helper()
	base := fmt.Sprintf("/children/%d/trusted-adults", sc.k.UserID)
	codes := []string{trustedCode(sc.adult.c), trustedCode(sc.pend.c)}
	sc.p.c.Must(201, "POST", base, map[string]string{"code": codes[0]}, nil)
	sc.g2.c.Must(200, "POST", fmt.Sprintf("%s/%d/approve", base, sc.adult.c.UserID), nil, nil)
	var tr trustedJSON
	sc.g3.c.Must(200, "POST", fmt.Sprintf("%s/%d/approve", base, sc.adult.c.UserID), nil, &tr)
	if ids, as := trustingChildren(sc.adult.c), myTrustedAdults(sc.k); tr.Status != "active" ||
		!slices.Equal(ids, []int64{sc.k.UserID}) || !slices.Equal(as, []int64{sc.adult.c.UserID}) {
		t.Fatalf("after every approval: %+v; the adult's children %v; the child's grown-ups %v", tr, ids, as)
	}
	sc.p.c.Must(201, "POST", base, map[string]string{"code": codes[1]}, nil)
	if ids, as := trustingChildren(sc.pend.c), myTrustedAdults(sc.k); len(ids) != 0 || len(as) != 1 {
		t.Fatalf("a pending link in REST: the adult's children %v; the child's grown-ups %v", ids, as)
	}
	sc.p.c.Must(204, "DELETE", fmt.Sprintf("%s/%d", base, sc.pend.c.UserID), nil, nil)
	sc.p.c.Must(204, "DELETE", fmt.Sprintf("/children/%d/guardians/%d", sc.k.UserID, sc.g3.c.UserID), nil, nil)
	sc.g2.c.Must(204, "DELETE", fmt.Sprintf("%s/%d", base, sc.adult.c.UserID), nil, nil)
	return codes
}

// TestTrustedLive: with real sockets, trusted.proposed, .approved,
// .activated and .revoked reach every current guardian of the child, and
// the adult concerned and the child only once their link is or was active
// (as GET /me/trusted-children and GET /me/trusted-adults show it); never
// another family, a stranger, a removed guardian, or an adult whose
// pending proposal was revoked (REST never showed them the child).
// Each carries the child's and the adult's ids only. A replay with `since`
// after a guardian's removal gives them no trusted event; one from before
// it, none after it. No code or hash is in any event, sent or stored.
func TestTrustedLive(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	sc := newTrustedScene(env, env.Admin())
	codes := sc.play(t)
	for _, m := range sc.all() {
		m.mark(t)
	}
	a, b := sc.adult.c.UserID, sc.pend.c.UserID
	guardians := []string{"trusted.proposed " + itoa(a), "trusted.approved " + itoa(a), "trusted.activated " + itoa(a),
		"trusted.proposed " + itoa(b), "trusted.revoked " + itoa(b), "trusted.revoked " + itoa(a)}
	active := []string{"trusted.activated " + itoa(a), "trusted.revoked " + itoa(a)}
	want := map[*marked][]string{sc.p: guardians, sc.g2: guardians, sc.g3: guardians[:5], sc.adult: active, sc.kid: active}
	names := map[*marked]string{sc.p: "primary", sc.kid: "child", sc.q: "other family", sc.g2: "g2", sc.g3: "g3 (removed later)",
		sc.gr: "removed guardian", sc.adult: "trusted adult", sc.pend: "revoked while pending", sc.none: "stranger"}
	var sent []apitest.Frame
	for _, m := range sc.all() {
		if got := trustedSeen(t, names[m], m.seen, sc.k.UserID); !slices.Equal(got, want[m]) {
			t.Errorf("%s got %q, want %q", names[m], got, want[m])
		}
		sent = append(sent, m.seen...)
	}
	sent = append(sent, sc.replays(t, want[sc.g3])...)
	checkNoCodes(t, env, sent, codes)
}

// replays has the removed g3 reconnect with `since` their removal (no
// trusted event) and with `since` their first trusted event (only events
// of live, what they were sent live before the removal), and returns what
// the replays sent.
func (sc *trustedScene) replays(t *testing.T, live []string) []apitest.Frame {
	t.Helper()
	var removal, first string
	for _, f := range sc.g3.seen {
		if first == "" && strings.HasPrefix(f.Type, "trusted.") {
			first = f.ID
		}
		if f.Type == "guardian.removed" && bytes.Contains(f.Data, []byte(fmt.Sprintf(`"user_id":%d`, sc.g3.c.UserID))) {
			removal = f.ID
		}
	}
	if removal == "" || first == "" {
		t.Fatalf("g3 saw no removal or no trusted event: %v", types(sc.g3.seen))
	}
	marker := fmt.Sprint("MARKER-", sc.g3.c.UserID)
	after := upToMarker(t, sc.g3.c.Socket(removal), marker)
	if got := trustedSeen(t, "g3 replay since removal", after, sc.k.UserID); len(got) != 0 {
		t.Errorf("g3's replay since their removal holds %q", got)
	}
	before := upToMarker(t, sc.g3.c.Socket(first), marker)
	for _, e := range trustedSeen(t, "g3 replay since before removal", before, sc.k.UserID) {
		if !slices.Contains(live, e) {
			t.Errorf("g3's replay from before their removal holds %q, which they were not sent live before it (%q)", e, live)
		}
	}
	return append(after, before...)
}

// checkNoCodes: no code, and no hash of one, in the frames sent or in
// any event stored for a replay.
func checkNoCodes(t *testing.T, env *apitest.Env, sent []apitest.Frame, codes []string) {
	t.Helper()
	var stored []string
	rows, err := env.DB.Pool.Query(t.Context(), `SELECT data::text FROM live_events
		UNION ALL SELECT encode(code_hash, 'hex') FROM trusted_invites`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		stored = append(stored, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var secrets []string
	for _, c := range codes {
		secrets = append(secrets, c, strings.ToLower(c))
	}
	for _, s := range stored {
		if _, err := hex.DecodeString(s); err == nil && len(s) == 64 {
			secrets = append(secrets, s) // a code's hash
		}
	}
	for _, f := range sent {
		for _, s := range secrets {
			if strings.Contains(string(f.Data), s) {
				t.Errorf("event %s %s carries a code or its hash", f.Type, f.Data)
			}
		}
	}
	for _, s := range stored {
		for _, c := range codes {
			if strings.Contains(s, c) {
				t.Errorf("a stored event carries the code %s: %s", c, s)
			}
		}
	}
}

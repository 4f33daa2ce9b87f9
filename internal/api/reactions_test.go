package api_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"pixelpals/internal/apitest"
	"pixelpals/internal/ratelimit"
)

// Reactions (docs/chat.md "Reactions"): what a member may put on a
// message, what each reader is shown, and who is told live.

type reactionJSON struct {
	Kind  string `json:"kind"`
	Count int    `json:"count"`
	Mine  bool   `json:"mine"`
}

type reactionsJSON struct {
	ConversationID int64          `json:"conversation_id"`
	MessageID      int64          `json:"message_id"`
	Reactions      []reactionJSON `json:"reactions"`
}

func reactPath(conv, msg int64, kind string) string {
	return fmt.Sprintf("/conversations/%d/messages/%d/reactions/%s", conv, msg, kind)
}

// react puts (PUT) or takes off (DELETE) a reaction and returns the
// reactions the answer shows.
func react(t *testing.T, c *apitest.Client, method string, conv, msg int64, kind string) []reactionJSON {
	t.Helper()
	var out reactionsJSON
	c.Must(200, method, reactPath(conv, msg, kind), nil, &out)
	if out.ConversationID != conv || out.MessageID != msg {
		t.Fatalf("%s %s answered about %d/%d", method, kind, out.ConversationID, out.MessageID)
	}
	return out.Reactions
}

// reactionsInHistory is message msg's reactions as c's history shows them.
func reactionsInHistory(t *testing.T, c *apitest.Client, conv, msg int64) []reactionJSON {
	t.Helper()
	var page struct {
		Items []struct {
			ID        int64
			Reactions []reactionJSON `json:"reactions"`
		}
	}
	c.Must(200, "GET", fmt.Sprintf("/conversations/%d/messages?limit=200", conv), nil, &page)
	for _, m := range page.Items {
		if m.ID == msg {
			if m.Reactions == nil {
				t.Fatalf("message %d in %d's history has no reactions list", msg, c.UserID)
			}
			return m.Reactions
		}
	}
	t.Fatalf("message %d not in %d's history", msg, c.UserID)
	return nil
}

func wantReactions(t *testing.T, what string, got []reactionJSON, want ...reactionJSON) {
	t.Helper()
	if want == nil {
		want = []reactionJSON{}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: reactions %+v, want %+v", what, got, want)
	}
}

// reactionRows counts the stored reactions on a message.
func reactionRows(t *testing.T, env *apitest.Env, msg int64) int {
	t.Helper()
	var n int
	if err := env.DB.Pool.QueryRow(t.Context(), `SELECT count(*) FROM message_reactions WHERE message_id = $1`, msg).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// linkedChildren are two children of two families with an approved link
// and a direct chat, in which a sent one message.
type linkedChildren struct {
	fa, fb *apitest.Family
	a, b   *apitest.Client
	link   int64
	conv   int64
	msg    int64
}

func newLinkedChildren(t *testing.T, env *apitest.Env) linkedChildren {
	admin := env.Admin()
	l := linkedChildren{fa: env.Family(admin, 1), fb: env.Family(admin, 1)}
	l.a, l.b = l.fa.Child(), l.fb.Child()
	l.link = approveLink(l.fa, l.a, l.fb, l.b)
	l.conv = createDirect(l.a, l.b.UserID).ID
	l.msg = mustSend(t, l.a, l.conv, "I drew a dragon").ID
	return l
}

// TestReactionsCountsAndMine: members put and take off reactions, each
// idempotent; everyone who reads the chat sees the counts, only the
// members' own marked; parents only read.
func TestReactionsCountsAndMine(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	l := newLinkedChildren(t, env)
	a, b, conv, msg := l.a, l.b, l.conv, l.msg

	wantReactions(t, "a new message", reactionsInHistory(t, b, conv, msg))
	wantReactions(t, "b's heart", react(t, b, "PUT", conv, msg, "heart"), reactionJSON{"heart", 1, true})
	wantReactions(t, "b's heart again", react(t, b, "PUT", conv, msg, "heart"), reactionJSON{"heart", 1, true})
	if n := reactionRows(t, env, msg); n != 1 {
		t.Fatalf("%d rows after the same reaction twice, want 1", n)
	}
	react(t, a, "PUT", conv, msg, "thumbs_up")
	wantReactions(t, "a's heart", react(t, a, "PUT", conv, msg, "heart"),
		reactionJSON{"heart", 2, true}, reactionJSON{"thumbs_up", 1, true})

	wantReactions(t, "b's history", reactionsInHistory(t, b, conv, msg),
		reactionJSON{"heart", 2, true}, reactionJSON{"thumbs_up", 1, false})
	for _, p := range []*apitest.Client{l.fa.Parent, l.fb.Parent} {
		wantReactions(t, "a parent's history", reactionsInHistory(t, p, conv, msg),
			reactionJSON{"heart", 2, false}, reactionJSON{"thumbs_up", 1, false})
		r := p.Do("PUT", reactPath(conv, msg, "star"), nil)
		wantStatus(t, r, 403, "forbidden")
	}

	wantReactions(t, "b took the heart off", react(t, b, "DELETE", conv, msg, "heart"),
		reactionJSON{"heart", 1, false}, reactionJSON{"thumbs_up", 1, false})
	wantReactions(t, "again", react(t, b, "DELETE", conv, msg, "heart"),
		reactionJSON{"heart", 1, false}, reactionJSON{"thumbs_up", 1, false})
	if n := reactionRows(t, env, msg); n != 2 {
		t.Fatalf("%d rows, want 2 (a's heart and thumbs up)", n)
	}

	// A's parent's export of A holds A's reactions; B's, none.
	var export struct {
		Reactions []struct {
			ConversationID int64  `json:"conversation_id"`
			MessageID      int64  `json:"message_id"`
			Kind           string `json:"kind"`
		} `json:"reactions"`
	}
	l.fa.Parent.Must(200, "GET", fmt.Sprintf("/children/%d/export", a.UserID), nil, &export)
	if len(export.Reactions) != 2 || export.Reactions[0].Kind != "heart" || export.Reactions[1].Kind != "thumbs_up" ||
		export.Reactions[0].MessageID != msg || export.Reactions[0].ConversationID != conv {
		t.Fatalf("A's export: %+v", export.Reactions)
	}
	l.fb.Parent.Must(200, "GET", fmt.Sprintf("/children/%d/export", b.UserID), nil, &export)
	if export.Reactions == nil || len(export.Reactions) != 0 {
		t.Fatalf("B's export: %+v", export.Reactions)
	}
}

// TestReactionsRefused: bad input names its field and changes nothing;
// deleted messages and paused chats get none.
func TestReactionsRefused(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	l := newLinkedChildren(t, env)
	a, b, conv, msg := l.a, l.b, l.conv, l.msg

	for _, kind := range []string{"poop", "Heart", "heart%20", "thumbs-up"} {
		r := b.Do("PUT", reactPath(conv, msg, kind), nil)
		wantStatus(t, r, 400, "invalid")
		if r.ErrorField() != "kind" {
			t.Fatalf("kind %q: field %q, want kind: %s", kind, r.ErrorField(), r.Body)
		}
	}
	other := newLinkedChildren(t, env)
	r := b.Do("PUT", reactPath(conv, other.msg, "heart"), nil)
	wantStatus(t, r, 404, "not_found")
	if r.ErrorField() != "message_id" {
		t.Fatalf("a message of another chat: field %q: %s", r.ErrorField(), r.Body)
	}
	wantStatus(t, b.Do("PUT", fmt.Sprintf("/conversations/%d/messages/x/reactions/heart", conv), nil), 404, "not_found")
	if n := reactionRows(t, env, msg) + reactionRows(t, env, other.msg); n != 0 {
		t.Fatalf("%d reactions stored by refused requests", n)
	}

	// Deleted: no new reactions, and nobody sees those it had: not the
	// members on the tombstone, not the parents who still read it.
	react(t, b, "PUT", conv, msg, "star")
	a.Must(204, "DELETE", fmt.Sprintf("/messages/%d", msg), nil, nil)
	wantStatus(t, b.Do("PUT", reactPath(conv, msg, "heart"), nil), 409, "conflict")
	wantStatus(t, b.Do("DELETE", reactPath(conv, msg, "star"), nil), 409, "conflict")
	wantReactions(t, "a member's tombstone", reactionsInHistory(t, b, conv, msg))
	wantReactions(t, "a parent's deleted message", reactionsInHistory(t, l.fa.Parent, conv, msg))
	if n := reactionRows(t, env, msg); n != 0 {
		t.Fatalf("%d reactions kept on a deleted message", n)
	}

	// Paused: the parent revoked the link.
	msg2 := mustSend(t, a, conv, "still here?").ID
	l.fa.Parent.Must(204, "DELETE", fmt.Sprintf("/contacts/%d", l.link), nil, nil)
	wantStatus(t, b.Do("PUT", reactPath(conv, msg2, "heart"), nil), 409, "conversation_frozen")
	if n := reactionRows(t, env, msg2); n != 0 {
		t.Fatalf("%d reactions in a paused chat", n)
	}
}

// TestReactionsShareTheSendBudget: a reaction takes a token of the same
// budget as a message, so toggling cannot flood the readers' sockets.
func TestReactionsShareTheSendBudget(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{SendRate: &ratelimit.Rate{PerSecond: 0.001, Burst: 4}})
	l := newLinkedChildren(t, env) // a's message: 1 of a's 4 tokens
	react(t, l.a, "PUT", l.conv, l.msg, "heart")
	react(t, l.a, "DELETE", l.conv, l.msg, "heart")
	react(t, l.a, "PUT", l.conv, l.msg, "wow")
	wantStatus(t, l.a.Do("PUT", reactPath(l.conv, l.msg, "sad"), nil), 429, "rate_limited")
	wantStatus(t, send(l.a, l.conv, "one more"), 429, "rate_limited")
	// b's budget is b's own.
	react(t, l.b, "PUT", l.conv, l.msg, "sad")
}

// TestReactionsInSleepMode: quiet hours are quiet for reactions too,
// except in the direct chat with the parent when the schedule allows it.
func TestReactionsInSleepMode(t *testing.T) {
	f := newSleepFixture(t)
	child, parent := f.fam.Child(), f.fam.Parent
	var m messageJSON
	parent.Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", f.group), map[string]string{"type": "text", "content": "night night", "client_id": "p1"}, &m)
	var d messageJSON
	parent.Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", f.direct), map[string]string{"type": "text", "content": "sleep well", "client_id": "p2"}, &d)
	parent.Must(200, "PUT", fmt.Sprintf("/children/%d/sleep-mode", child.UserID), schoolNights(true), nil)
	f.clock.Set("2026-03-25T22:30:00Z") // 23:30 in Berlin
	wantStatus(t, child.Do("PUT", reactPath(f.group, m.ID, "heart"), nil), 423, "sleep_mode")
	react(t, child, "PUT", f.direct, d.ID, "heart")
	// The parent is never asleep.
	react(t, parent, "PUT", f.group, m.ID, "star")
	f.clock.Set("2026-03-26T07:30:00Z")
	react(t, child, "PUT", f.group, m.ID, "heart")
}

// TestReactionEventsReachEveryReader: message.reactions goes to both
// children and both parents, each with the counts their history shows
// (their own reaction marked, nobody else's), and to nobody else; a
// reaction that changes nothing tells nobody; an account's removal takes
// its reactions away live.
func TestReactionEventsReachEveryReader(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	l := newLinkedChildren(t, env)
	stranger := env.Family(env.Admin(), 1)
	readers := []*apitest.Client{l.a, l.b, l.fa.Parent, l.fb.Parent}
	socks := make([]*apitest.Socket, len(readers))
	for i, c := range readers {
		socks[i] = c.Socket("")
	}
	sx, spx := stranger.Child().Socket(""), stranger.Parent.Socket("")

	react(t, l.b, "PUT", l.conv, l.msg, "heart")
	for i, c := range readers {
		f := nextOf(t, socks[i], "message.reactions")
		want, _ := json.Marshal(reactionsJSON{l.conv, l.msg, reactionsInHistory(t, c, l.conv, l.msg)})
		sameJSON(t, fmt.Sprintf("message.reactions to %d", c.UserID), f.Data, want)
		var got reactionsJSON
		json.Unmarshal(f.Data, &got)
		if len(got.Reactions) != 1 || got.Reactions[0].Count != 1 || got.Reactions[0].Mine != (c == l.b) {
			t.Fatalf("message.reactions to %d: %s", c.UserID, f.Data)
		}
	}

	// The same heart again tells nobody: a's next reaction event is the star.
	react(t, l.b, "PUT", l.conv, l.msg, "heart")
	react(t, l.a, "PUT", l.conv, l.msg, "star")
	var got reactionsJSON
	json.Unmarshal(nextOf(t, socks[0], "message.reactions").Data, &got)
	wantReactions(t, "a's next event", got.Reactions, reactionJSON{"heart", 1, false}, reactionJSON{"star", 1, true})

	// The stranger family heard nothing: their first frame is their own
	// contact request, written after every reaction above.
	requestLink(stranger, stranger.Child(), env.Family(env.Admin(), 1).Child())
	for _, s := range []*apitest.Socket{sx, spx} {
		if f := frames(t, s, 1)[0]; f.Type != "contact.requested" {
			t.Fatalf("a stranger got %s %s", f.Type, f.Data)
		}
	}

	// b's account goes: a and the parents see b's heart go.
	l.fb.Parent.Must(204, "DELETE", fmt.Sprintf("/children/%d", l.b.UserID), nil, nil)
	json.Unmarshal(nextOf(t, socks[0], "message.reactions").Data, &got)
	wantReactions(t, "after b's removal", got.Reactions, reactionJSON{"star", 1, true})
	wantReactions(t, "a's history after b's removal", reactionsInHistory(t, l.a, l.conv, l.msg), reactionJSON{"star", 1, true})
}

package notify_test

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"pixelpals/internal/apitest"
	"pixelpals/internal/notify"
)

// pushWorker is smtpWorker with a Web Push channel to ps.
func pushWorker(env *apitest.Env, smtpPort int, ps *pushService) *notify.Worker {
	w := smtpWorker(env, smtpPort)
	w.Pusher = &notify.WebPusher{Pool: env.DB.Pool, Keys: env.VAPID, Subscriber: "pals@example.org",
		Client: ps.srv.Client(), Metrics: w.Metrics, Logger: slog.New(slog.DiscardHandler)}
	return w
}

type channels struct{ Mailed, Pushed bool }

func channelsOf(t *testing.T, env *apitest.Env, id int64) channels {
	t.Helper()
	var c channels
	err := env.DB.Pool.QueryRow(t.Context(), `SELECT mailed_at IS NOT NULL, pushed_at IS NOT NULL FROM notifications WHERE id = $1`, id).
		Scan(&c.Mailed, &c.Pushed)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func subscriptionCount(t *testing.T, env *apitest.Env, userID int64) int {
	t.Helper()
	var n int
	if err := env.DB.Pool.QueryRow(t.Context(), `SELECT count(*) FROM push_subscriptions WHERE user_id = $1`, userID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestPushDelivered: a parent with a phone, and an old tablet and laptop
// whose subscriptions expired (410, 404); actions through the API; the
// worker mails and pushes. The phone's push service receives each
// notification encrypted to the phone's keys (decrypted here as a browser
// would), signed with the server's VAPID key, saying only what kind of
// thing waits and for which child, with the page to open; the 410 and the
// 404 remove their subscriptions; the other family's parent, who has no
// device, gets mail only; every row ends sent with both channels done.
func TestPushDelivered(t *testing.T) {
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb := env.Family(admin, 1), env.Family(admin, 1)
	settleSignups(t, env)
	a, b := fa.Child(), fb.Child()
	ps := startPushService(t, env.VAPID.PublicKey)
	phone, tablet, laptop := newDevice(t, "phone"), newDevice(t, "tablet"), newDevice(t, "laptop")
	for _, d := range []*device{phone, tablet, laptop} {
		ps.subscribe(t, fa.Parent, d)
	}
	ps.answer(tablet, 410)
	ps.answer(laptop, 404)

	friendCode := requestAndLeak(t, fa, a, b)

	mb := &mailbox{}
	port, _ := startSMTP(t, mb)
	w := pushWorker(env, port, ps)
	drain(t, w)
	ps.checkClean()
	if c := counters(t, w.Metrics); c["pixelpals_push_sent"] != 3 || c["pixelpals_push_expired"] != 2 || c["pixelpals_push_failed"] != 0 || c["sent"] != 5 {
		t.Errorf("metrics %v, want 3 pushes sent, 2 subscriptions expired, 5 rows sent", c)
	}

	name := "Kid " + a.Login
	child := fmt.Sprintf("/#/child/%d", a.UserID)
	want := []notify.PushMessage{
		{Title: "Pixel Pals", Body: "Your parent account was approved: you can now add your children.", URL: "/#/"},
		{Title: "Pixel Pals", Body: name + " has a new friend request that waits for your approval.", URL: child},
		{Title: "Pixel Pals", Body: name + " tried to send what looks like a saved game password; the message was stopped.", URL: child},
	}
	got := ps.messages(phone)
	if len(got) != len(want) {
		t.Fatalf("the phone got %d pushes, want %d: %+v", len(got), len(want), got)
	}
	secrets := []string{a.Password, fa.Parent.Password, a.Token, fa.Parent.Token, "Hunter2", "hunter2", "my pass is", friendCode, b.Login}
	for i, m := range got {
		if !strings.HasPrefix(m.Tag, "notification-") {
			t.Errorf("push %d: tag %q, want notification-<id>", i, m.Tag)
		}
		m.Tag = ""
		if m != want[i] {
			t.Errorf("push %d:\n got %+v\nwant %+v", i, m, want[i])
		}
		for _, s := range secrets {
			if s != "" && strings.Contains(fmt.Sprint(got[i]), s) {
				t.Errorf("push %d holds a secret or someone's words %q: %+v", i, s, got[i])
			}
		}
	}
	if n := subscriptionCount(t, env, fa.Parent.UserID); n != 1 {
		t.Errorf("parent A has %d subscriptions, want 1: the tablet's 410 and the laptop's 404 remove theirs", n)
	}
	if n := len(mb.all()); n != 5 { // 2 approvals, 2 friend requests, 1 leak guard
		t.Errorf("%d mails, want 5: push takes nothing from mail", n)
	}
	checkAllSent(t, env)
}

// requestAndLeak makes child a ask b for a friendship and trip the leak
// guard (fa is a's family); it returns b's friend code.
func requestAndLeak(t *testing.T, fa *apitest.Family, a, b *apitest.Client) string {
	t.Helper()
	var code struct {
		FriendCode string `json:"friend_code"`
	}
	b.Must(200, "GET", "/me/friend-code", nil, &code)
	a.Must(201, "POST", "/contacts", map[string]any{"friend_code": code.FriendCode}, nil)
	fa.Parent.Must(201, "POST", fmt.Sprintf("/children/%d/game-credentials", a.UserID),
		map[string]string{"game_name": "Blockcraft", "username": "kid", "password": "Hunter2!"}, nil)
	var conv struct{ ID int64 }
	a.Must(201, "POST", "/conversations", map[string]any{"member_ids": []int64{fa.Parent.UserID}, "is_group": false}, &conv)
	a.Must(422, "POST", fmt.Sprintf("/conversations/%d/messages", conv.ID),
		map[string]string{"type": "text", "content": "my pass is Hunter2!", "client_id": "leak-1"}, nil)
	return code.FriendCode
}

// checkAllSent fails t unless every row is sent with both channels done.
func checkAllSent(t *testing.T, env *apitest.Env) {
	t.Helper()
	rows, err := env.DB.Pool.Query(t.Context(), `SELECT state, mailed_at IS NOT NULL, pushed_at IS NOT NULL FROM notifications`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var state string
		var c channels
		if err := rows.Scan(&state, &c.Mailed, &c.Pushed); err != nil {
			t.Fatal(err)
		}
		if state != "sent" || !c.Mailed || !c.Pushed {
			t.Errorf("a row is %s with %+v, want sent with both channels done", state, c)
		}
	}
}

// TestPushAndMailFailApart: a push service that is down does not hold the
// mail, nor a mail server that refuses the push; the retry repeats only
// the channel that failed, and both arrive exactly once.
func TestPushAndMailFailApart(t *testing.T) {
	env := apitest.New(t)
	admin := env.Admin()
	fa := env.Family(admin, 1)
	settleSignups(t, env)
	ps := startPushService(t, env.VAPID.PublicKey)
	phone := newDevice(t, "phone")
	ps.subscribe(t, fa.Parent, phone)
	mb := &mailbox{}
	port, _ := startSMTP(t, mb)
	w := pushWorker(env, port, ps)
	id := lastNote(t, env) // the parent's account_approved

	// The push service is down: the mail goes, the row waits for the push.
	ps.answer(phone, 503)
	if n, err := w.RunOnce(t.Context()); n != 1 || err != nil {
		t.Fatalf("claimed %d (%v), want 1", n, err)
	}
	if s, c := stateOf(t, env, id), channelsOf(t, env, id); s.State != "pending" || !strings.Contains(s.LastError, "503") || c != (channels{Mailed: true}) {
		t.Fatalf("push service down: %+v %+v, want pending, the 503, mailed only", s, c)
	}
	// It is back: the retry pushes, and mails nothing again.
	ps.answer(phone, 0)
	letTimePass(t, env)
	drain(t, w)
	if s, c := stateOf(t, env, id), channelsOf(t, env, id); s.State != "sent" || c != (channels{true, true}) {
		t.Fatalf("push service back: %+v %+v, want sent, both", s, c)
	}
	if m, p := len(mb.all()), len(ps.messages(phone)); m != 1 || p != 1 {
		t.Fatalf("%d mails and %d pushes, want one of each", m, p)
	}
	if c := counters(t, w.Metrics); c["pixelpals_push_failed"] != 1 || c["pixelpals_push_sent"] != 1 || c["failed"] != 1 {
		t.Errorf("metrics %v, want 1 push failed then 1 sent, 1 row retried", c)
	}

	// Now the mail server refuses: the push goes, the row waits for the mail.
	mb.setRefuse(true)
	fb := env.Family(admin, 1)
	settleSignups(t, env)
	var code struct {
		FriendCode string `json:"friend_code"`
	}
	fb.Child().Must(200, "GET", "/me/friend-code", nil, &code)
	fa.Child().Must(201, "POST", "/contacts", map[string]any{"friend_code": code.FriendCode}, nil)
	letTimePass(t, env)
	drain(t, w)
	var request int64
	if err := env.DB.Pool.QueryRow(t.Context(), `SELECT id FROM notifications WHERE recipient_id = $1 AND kind = 'contact_request'`, fa.Parent.UserID).Scan(&request); err != nil {
		t.Fatal(err)
	}
	if s, c := stateOf(t, env, request), channelsOf(t, env, request); s.State != "pending" || !strings.Contains(s.LastError, "554") || c != (channels{Pushed: true}) {
		t.Fatalf("mail server refusing: %+v %+v, want pending, the 554, pushed only", s, c)
	}
	mb.setRefuse(false)
	letTimePass(t, env)
	drain(t, w)
	if s, c := stateOf(t, env, request), channelsOf(t, env, request); s.State != "sent" || c != (channels{true, true}) {
		t.Fatalf("mail server back: %+v %+v, want sent, both", s, c)
	}
	pushes := ps.messages(phone)
	if n := slices.IndexFunc(pushes, func(m notify.PushMessage) bool { return m.Tag == fmt.Sprintf("notification-%d", request) }); n < 0 || len(pushes) != 2 {
		t.Fatalf("pushes %+v, want the approval and the friend request once each", pushes)
	}
}

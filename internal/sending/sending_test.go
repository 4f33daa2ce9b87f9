package sending_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/domain"
	"pixelpals/internal/pgtest"
	"pixelpals/internal/ratelimit"
	"pixelpals/internal/sending"
	"pixelpals/internal/store"
)

// chatFixture is a parent, children and conversations written directly.
type chatFixture struct {
	t   *testing.T
	db  *store.DB
	s   *sending.Sender
	ctx context.Context
	n   int
}

func (f *chatFixture) exec(sql string, args ...any) {
	f.t.Helper()
	if _, err := f.db.Pool.Exec(f.ctx, sql, args...); err != nil {
		f.t.Fatalf("%s: %v", sql, err)
	}
}

func (f *chatFixture) id(sql string, args ...any) int64 {
	f.t.Helper()
	var id int64
	if err := f.db.Pool.QueryRow(f.ctx, sql, args...).Scan(&id); err != nil {
		f.t.Fatalf("%s: %v", sql, err)
	}
	return id
}

func (f *chatFixture) user(role domain.Role, parent *int64) *domain.Actor {
	f.n++
	id := f.id(`INSERT INTO users (email, password_hash, role, parent_id, approved_by_admin) VALUES ($1, 'x', $2, $3, true) RETURNING id`,
		fmt.Sprintf("u%d@example.com", f.n), string(role), parent)
	return &domain.Actor{UserID: id, Role: role, Active: true}
}

func (f *chatFixture) conv(members ...*domain.Actor) int64 {
	id := f.id(`INSERT INTO conversations (created_by) VALUES ($1) RETURNING id`, members[0].UserID)
	for _, m := range members {
		f.exec(`INSERT INTO conversation_members (conversation_id, user_id) VALUES ($1, $2)`, id, m.UserID)
	}
	return id
}

func text(clientID, content string) sending.Message {
	return sending.Message{Type: domain.MessageText, Content: content, ClientID: clientID}
}

func newChatFixture(t *testing.T) *chatFixture {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	db := pgtest.DB(t)
	return &chatFixture{t: t, db: db, s: sending.New(db, store.NewLeakGuard(db, nil), sending.Config{}), ctx: ctx}
}

// send is actor's send as the API makes it, with an empty send gate: no
// sleep mode, no kept passwords.
func (f *chatFixture) send(ctx context.Context, actor *domain.Actor, convID int64, msg sending.Message) (domain.Message, bool, error) {
	return f.s.Send(ctx, actor, &store.SendGate{}, convID, msg)
}

// TestSendBatchMixed sends one batch whose members fail in every way a
// send can, next to good ones: each gets its own answer, and only the
// good ones are stored, each with its live event.
func TestSendBatchMixed(t *testing.T) {
	f := newChatFixture(t)
	parent := f.user(domain.RoleParent, nil)
	kid1, kid2, kid3 := f.user(domain.RoleChild, &parent.UserID), f.user(domain.RoleChild, &parent.UserID), f.user(domain.RoleChild, &parent.UserID)
	stranger := f.user(domain.RoleParent, nil)
	convA, convB, convF := f.conv(kid1, kid2), f.conv(kid1, kid3), f.conv(kid1, kid2)
	convX := f.conv(stranger, kid3)
	f.exec(`UPDATE conversations SET frozen_at = CURRENT_TIMESTAMP WHERE id = $1`, convF)
	f.exec(`INSERT INTO media_blobs (sha256, kind, content_type, size, data) VALUES (sha256('img'), 'image', 'image/png', 3, 'img')`)
	mine := f.id(`INSERT INTO media (uploader_id, sha256) VALUES ($1, sha256('img')) RETURNING id`, kid1.UserID)
	theirs := f.id(`INSERT INTO media (uploader_id, sha256) VALUES ($1, sha256('img')) RETURNING id`, kid2.UserID)
	old, created, err := f.send(f.ctx, kid1, convB, text("old", "before the batch"))
	if err != nil || !created {
		t.Fatalf("first send: %v %v", created, err)
	}

	type want struct {
		code    string // "" for a message
		created bool
	}
	img := func(clientID string, media int64) sending.Message {
		return sending.Message{Type: domain.MessageImage, ClientID: clientID, MediaID: &media}
	}
	sends := []struct {
		s sending.BatchSend
		w want
	}{
		{sending.BatchSend{kid1, convA, text("c1", "one")}, want{"", true}},
		{sending.BatchSend{kid1, convA, text("c2", "two")}, want{"", true}},
		{sending.BatchSend{kid1, convX, text("c3", "not a member")}, want{domain.CodeNotFound, false}},
		{sending.BatchSend{kid3, convX, text("c3", "member")}, want{"", true}},
		{sending.BatchSend{kid1, convF, text("c4", "frozen")}, want{domain.CodeFrozen, false}},
		{sending.BatchSend{kid1, convB, img("c5", theirs)}, want{domain.CodeInvalid, false}},
		{sending.BatchSend{kid1, convB, text("c1", "same client id, other conversation")}, want{domain.CodeConflict, false}},
		{sending.BatchSend{kid1, convA, text("c1", "same client id, same conversation")}, want{"", false}},
		{sending.BatchSend{kid1, convB, img("c6", mine)}, want{"", true}},
		{sending.BatchSend{kid2, convA, text("c1", "another sender's c1")}, want{"", true}},
		{sending.BatchSend{kid1, convA, text("old", "retry into another conversation")}, want{domain.CodeConflict, false}},
		{sending.BatchSend{kid1, convB, text("old", "a retry")}, want{"", false}},
		{sending.BatchSend{kid2, convB, text("c7", "not a member either")}, want{domain.CodeNotFound, false}},
		// Refused, and its client id then used by a good send: the refused
		// one is told the id is taken, not given the other's message.
		{sending.BatchSend{kid1, convF, text("c9", "frozen, then reused")}, want{domain.CodeConflict, false}},
		{sending.BatchSend{kid1, convA, text("c9", "reuses c9")}, want{"", true}},
		{sending.BatchSend{parent, convA, text("c8", "a parent reads only")}, want{domain.CodeForbidden, false}},
	}
	batch := make([]sending.BatchSend, len(sends))
	for i, s := range sends {
		batch[i] = s.s
	}
	answers := f.s.SendBatch(f.ctx, batch)
	stored := map[int64]bool{}
	for i, a := range answers {
		w := sends[i].w
		got := ""
		if a.Err != nil {
			got = domain.ErrorCode(a.Err)
		}
		if got != w.code || (a.Err == nil && a.Created != w.created) {
			t.Errorf("send %d (%s): created %v, error %v; want created %v, code %q", i, sends[i].s.Msg.ClientID, a.Created, a.Err, w.created, w.code)
			continue
		}
		if a.Err == nil && a.Created {
			stored[a.M.ID] = true
			if a.M.ConversationID != sends[i].s.ConvID || a.M.SenderID != sends[i].s.Actor.UserID {
				t.Errorf("send %d: got message %+v", i, a.M)
			}
		}
	}
	if a := answers[7]; a.Err == nil && a.M.ID != answers[0].M.ID {
		t.Errorf("repeat of c1 inside the batch answered message %d, want %d", a.M.ID, answers[0].M.ID)
	}
	if a := answers[11]; a.Err == nil && a.M.ID != old.ID {
		t.Errorf("retry of old answered message %d, want %d", a.M.ID, old.ID)
	}
	if a := answers[8]; a.Err == nil && (a.M.MediaURL == nil || *a.M.MediaURL != fmt.Sprintf("/api/v1/media/%d", mine)) {
		t.Errorf("image message: media_url %v", a.M.MediaURL)
	}
	var n int
	if err := f.db.Pool.QueryRow(f.ctx, `SELECT count(*) FROM messages WHERE id <> $1`, old.ID).Scan(&n); err != nil || n != len(stored) {
		t.Errorf("%d messages stored (%v), want %d", n, err, len(stored))
	}
	for id := range stored {
		var events int
		if err := f.db.Pool.QueryRow(f.ctx, `SELECT count(*) FROM live_events WHERE type = 'message.created' AND data->>'id' = $1::text`,
			fmt.Sprint(id)).Scan(&events); err != nil || events == 0 {
			t.Errorf("message %d: %d message.created events (%v)", id, events, err)
		}
	}
}

// TestSendBatchOrder sends one batch of many messages into one
// conversation, after a message whose created_at is ahead of the clock:
// the batch's rows get created_at and ids growing in batch order, all
// after that message.
func TestSendBatchOrder(t *testing.T) {
	f := newChatFixture(t)
	parent := f.user(domain.RoleParent, nil)
	kid1, kid2 := f.user(domain.RoleChild, &parent.UserID), f.user(domain.RoleChild, &parent.UserID)
	conv, other := f.conv(kid1, kid2), f.conv(kid1, kid2)
	ahead := time.Now().UTC().Add(time.Hour).Truncate(time.Microsecond)
	f.exec(`INSERT INTO messages (conversation_id, sender_id, type, content, created_at) VALUES ($1, $2, 'text', 'ahead', $3)`,
		conv, kid1.UserID, ahead)
	var batch []sending.BatchSend
	for i := range 40 {
		from, to := kid1, conv
		if i%2 == 1 {
			from = kid2
		}
		if i%5 == 4 {
			to = other
		}
		batch = append(batch, sending.BatchSend{from, to, text(fmt.Sprintf("o%d", i), fmt.Sprint(i))})
	}
	last := map[int64]domain.Message{}
	for i, a := range f.s.SendBatch(f.ctx, batch) {
		if a.Err != nil || !a.Created {
			t.Fatalf("send %d: %v", i, a.Err)
		}
		// A tie with the message ahead is broken by the id; rows of one
		// batch never tie.
		if batch[i].ConvID == conv && a.M.CreatedAt.Before(ahead) {
			t.Errorf("send %d: created_at %v before the newest message's %v", i, a.M.CreatedAt, ahead)
		}
		if p, ok := last[batch[i].ConvID]; ok && !(a.M.CreatedAt.After(p.CreatedAt) && a.M.ID > p.ID) {
			t.Errorf("send %d: (%v, %d) not after the previous send's (%v, %d)", i, a.M.CreatedAt, a.M.ID, p.CreatedAt, p.ID)
		}
		last[batch[i].ConvID] = a.M
	}
}

// TestSendBatchRacesFreeze runs a batch with sends to a conversation
// whose freeze commits while the batch waits for the conversation's lock,
// and sends to another conversation in the same batch: the frozen
// conversation gets nothing, the other everything. When the freeze rolls
// back instead, every send goes through.
func TestSendBatchRacesFreeze(t *testing.T) {
	for _, commit := range []bool{true, false} {
		t.Run(fmt.Sprintf("commit=%v", commit), func(t *testing.T) {
			f := newChatFixture(t)
			parent := f.user(domain.RoleParent, nil)
			kid1, kid2 := f.user(domain.RoleChild, &parent.UserID), f.user(domain.RoleChild, &parent.UserID)
			frozen, open := f.conv(kid1, kid2), f.conv(kid1, kid2)
			tx, err := f.db.Pool.Begin(f.ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(f.ctx)
			if _, err := tx.Exec(f.ctx, `UPDATE conversations SET frozen_at = CURRENT_TIMESTAMP WHERE id = $1`, frozen); err != nil {
				t.Fatal(err)
			}
			batch := []sending.BatchSend{
				{kid1, open, text("a", "open 1")}, {kid1, frozen, text("b", "frozen 1")},
				{kid2, frozen, text("c", "frozen 2")}, {kid2, open, text("d", "open 2")},
			}
			done := make(chan []sending.BatchAnswer)
			go func() { done <- f.s.SendBatch(f.ctx, batch) }()
			// Wait until the batch waits for the freeze's lock.
			for {
				var waiting bool
				if err := f.db.Pool.QueryRow(f.ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
					WHERE datname = current_database() AND wait_event_type = 'Lock')`).Scan(&waiting); err != nil {
					t.Fatal(err)
				}
				if waiting {
					break
				}
				select {
				case a := <-done:
					t.Fatalf("the batch did not wait for the freeze: %+v", a)
				case <-time.After(5 * time.Millisecond):
				}
			}
			if commit {
				err = tx.Commit(f.ctx)
			} else {
				err = tx.Rollback(f.ctx)
			}
			if err != nil {
				t.Fatal(err)
			}
			for i, a := range <-done {
				wantFrozen := commit && batch[i].ConvID == frozen
				if wantFrozen && domain.ErrorCode(a.Err) != domain.CodeFrozen {
					t.Errorf("send %d to the frozen conversation: %v, created %v", i, a.Err, a.Created)
				}
				if !wantFrozen && (a.Err != nil || !a.Created) {
					t.Errorf("send %d: %v, created %v", i, a.Err, a.Created)
				}
			}
			var n int
			if err := f.db.Pool.QueryRow(f.ctx, `SELECT count(*) FROM messages WHERE conversation_id = $1`, frozen).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if want := map[bool]int{true: 0, false: 2}[commit]; n != want {
				t.Errorf("%d messages in the conversation, want %d", n, want)
			}
		})
	}
}

// TestSendBatchHeldConversation: a transaction holds one conversation's
// row (or one sender's) for long, as a long membership change or an
// account deletion would, while sends to it fill every batch in flight. A
// send elsewhere must not wait for it; once the row is released, the held
// sends go through.
func TestSendBatchHeldConversation(t *testing.T) {
	for _, held := range []string{"conversations", "users"} {
		t.Run(held, func(t *testing.T) {
			h := holdRow(t, held)
			f, kid1, kid3, stuck, free, tx := h.f, h.sender, h.other, h.stuck, h.free, h.tx

			// More held sends than batches may be in flight at once.
			const stuckSends = 3
			done := make(chan error, 8)
			for i := range stuckSends {
				go func() {
					_, created, err := f.send(f.ctx, kid1, stuck, text(fmt.Sprintf("s%d", i), "held"))
					if err == nil && !created {
						err = fmt.Errorf("send %d not created", i)
					}
					done <- err
				}()
			}
			waitForLockWaiters(t, f, 2)

			start := time.Now()
			free1 := make(chan error, 1)
			go func() {
				_, created, err := f.send(f.ctx, kid3, free, text("f", "elsewhere"))
				if err == nil && !created {
					err = fmt.Errorf("not created")
				}
				free1 <- err
			}()
			select {
			case err := <-free1:
				if err != nil {
					t.Fatalf("send to another conversation: %v", err)
				}
				t.Logf("send to another conversation took %v", time.Since(start))
			case <-time.After(2 * time.Second):
				t.Fatalf("a send to another conversation waited over 2 s for a %s row held elsewhere", held)
			}

			// Once the held sends are all written alone, new ones to the
			// held row skip the group: no batch waits for it again.
			for waitForLockWaiters(t, f, stuckSends); f.s.SendBatchesInFlight() > 0; time.Sleep(5 * time.Millisecond) {
			}
			// With the held ones, no more than aloneSlots (a quarter of
			// the pool of 16) can wait on the row at once.
			const lateSends = 1
			for i := range lateSends {
				go func() {
					_, created, err := f.send(f.ctx, kid1, stuck, text(fmt.Sprintf("late%d", i), "held"))
					if err == nil && !created {
						err = fmt.Errorf("late send %d not created", i)
					}
					done <- err
				}()
			}
			waitForLockWaiters(t, f, stuckSends+lateSends)
			if n := f.s.SendBatchesInFlight(); n > 0 {
				t.Errorf("%d batches wait for the held row while its sends are written alone", n)
			}

			select {
			case err := <-done:
				t.Fatalf("a send went through while its %s row was held: %v", held, err)
			case <-time.After(300 * time.Millisecond):
			}
			if err := tx.Commit(f.ctx); err != nil {
				t.Fatal(err)
			}
			for range stuckSends + lateSends {
				if err := <-done; err != nil {
					t.Errorf("held send, after the release: %v", err)
				}
			}
		})
	}
}

// TestSendsHeldRowLeaveThePool: more sends to a held conversation than
// the pool has connections take at most a quarter of it while they wait
// (aloneSlots), so other requests still get connections and other sends
// go through; the held sends end 503 (or with their request) after the
// bounded wait, having written nothing.
func TestSendsHeldRowLeaveThePool(t *testing.T) {
	h := holdRow(t, "conversations")
	f, kid1, kid3, stuck, free, tx := h.f, h.sender, h.other, h.stuck, h.free, h.tx
	maxConns := int(f.db.Pool.Config().MaxConns)
	held := maxConns + 4
	ctx, cancel := context.WithTimeout(f.ctx, 8*time.Second)
	defer cancel()
	done := make(chan error, held)
	for i := range held {
		go func() {
			_, _, err := f.send(ctx, kid1, stuck, text(fmt.Sprintf("h%d", i), "held"))
			done <- err
		}()
	}
	waitForLockWaiters(t, f, maxConns/4)
	// Over a second, while the held sends go alone (each batch gives its
	// sends back after 250 ms), at most a quarter of the pool, the held
	// transaction and a batch are taken.
	most := 0
	for end := time.Now().Add(time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		most = max(most, int(f.db.Pool.Stat().AcquiredConns()))
	}
	if most > maxConns/4+2 {
		t.Errorf("%d of %d connections taken while sends wait on one row", most, maxConns)
	}
	start := time.Now()
	if _, _, err := f.send(f.ctx, kid3, free, text("f", "elsewhere")); err != nil {
		t.Fatalf("send elsewhere: %v", err)
	}
	if _, err := f.db.Pool.Exec(f.ctx, `SELECT 1`); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("a send elsewhere and a query took %v while sends wait on a held row", d)
	}

	busy := 0
	for range held {
		err := <-done
		switch {
		case err == nil:
			t.Error("a send went through while its conversation was held")
		case domain.ErrorCode(err) == domain.CodeUnavailable:
			busy++
		case !errors.Is(err, context.DeadlineExceeded):
			t.Errorf("held send: %v, want 503 or its deadline", err)
		}
	}
	if busy == 0 {
		t.Error("no held send was answered 503 after the bounded lock wait")
	}
	if err := tx.Commit(f.ctx); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := f.db.Pool.QueryRow(f.ctx, `SELECT count(*) FROM messages WHERE conversation_id = $1`, stuck).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d messages stored from sends that were refused", n)
	}
}

// heldRow is a chat with a row held FOR UPDATE by an open transaction, as
// a long membership change or an account deletion would hold it: sender
// is a member of stuck and other of free, which is not held.
type heldRow struct {
	f             *chatFixture
	sender, other *domain.Actor
	stuck, free   int64
	tx            pgx.Tx
}

// holdRow holds stuck's row (table "conversations") or the sender's
// ("users") until the test ends or commits tx.
func holdRow(t *testing.T, table string) heldRow {
	f := newChatFixture(t)
	parent := f.user(domain.RoleParent, nil)
	kid1, kid2, kid3 := f.user(domain.RoleChild, &parent.UserID), f.user(domain.RoleChild, &parent.UserID), f.user(domain.RoleChild, &parent.UserID)
	h := heldRow{f: f, sender: kid1, other: kid3, stuck: f.conv(kid1, kid2), free: f.conv(kid2, kid3)}
	tx, err := f.db.Pool.Begin(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback(context.Background()) })
	row := map[string]int64{"conversations": h.stuck, "users": kid1.UserID}[table]
	if _, err := tx.Exec(f.ctx, `SELECT 1 FROM `+table+` WHERE id = $1 FOR UPDATE`, row); err != nil {
		t.Fatal(err)
	}
	h.tx = tx
	return h
}

// waitForLockWaiters waits until at least n connections wait for a lock.
func waitForLockWaiters(t *testing.T, f *chatFixture, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var waiting int
		if err := f.db.Pool.QueryRow(f.ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d connections wait for a lock after 10 s, want %d", waiting, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestSendBatchTakesTokens: concurrent sends of one sender, batched
// together, get the tokens its budget has, in order; the rest are told
// to wait (429), and a refused send inserted nothing.
func TestSendBatchTakesTokens(t *testing.T) {
	f := newChatFixture(t)
	parent := f.user(domain.RoleParent, nil)
	kid1, kid2 := f.user(domain.RoleChild, &parent.UserID), f.user(domain.RoleChild, &parent.UserID)
	conv := f.conv(kid1, kid2)
	f.s = sending.New(f.db, store.NewLeakGuard(f.db, nil), sending.Config{Limit: &ratelimit.Rate{PerSecond: 0.001, Burst: 3}})
	var mu sync.Mutex
	sent, limited := 0, 0
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			_, _, err := f.send(f.ctx, kid1, conv, text(fmt.Sprint("c", i), "hi"))
			mu.Lock()
			defer mu.Unlock()
			var de *domain.Error
			switch {
			case err == nil:
				sent++
			case domain.ErrorCode(err) == domain.CodeRateLimited && errors.As(err, &de) && de.RetryAfter > 0:
				limited++
			default:
				t.Errorf("send %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	var rows int
	if err := f.db.Pool.QueryRow(f.ctx, `SELECT count(*) FROM messages WHERE conversation_id = $1`, conv).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if sent != 3 || limited != 5 || rows != 3 {
		t.Fatalf("%d sent, %d rate limited, %d rows; want 3, 5, 3", sent, limited, rows)
	}
	// Another sender has their own budget.
	if _, _, err := f.send(f.ctx, kid2, conv, text("k2", "hello")); err != nil {
		t.Fatal(err)
	}
}

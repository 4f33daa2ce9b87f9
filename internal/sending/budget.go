package sending

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/domain"
	"pixelpals/internal/ratelimit"
)

// The send budget (check 3): a token bucket per sender (ratelimit.Rate,
// in the shared rate_buckets table, so it holds across instances). A
// batch takes its senders' tokens in its own transaction (the "take
// tokens" step in tx.go), so a rolled-back batch takes none; a leak-guard
// refusal, which writes no message, takes one on its own (takeToken).

// sendSubject is the rate-limit subject of a user's send budget.
func sendSubject(userID int64) string { return "send:" + strconv.FormatInt(userID, 10) }

// errSendRate answers a send past its sender's budget.
func errSendRate(wait time.Duration) error {
	return &Refusal{Reason: TooFast, Err: domain.RateLimited(wait, "you are sending messages too fast; wait a moment")}
}

// takeToken takes a token of userID's send budget for an action that
// counts as a send but writes no message (RefuseLeak); a rate-limited
// error when the budget is spent.
func (s *Sender) takeToken(ctx context.Context, userID int64) error {
	if s.limit == nil {
		return nil
	}
	ok, wait, err := ratelimit.TakeToken(ctx, s.db.Pool, *s.limit, sendSubject(userID))
	if err != nil {
		return err
	}
	if !ok {
		return errSendRate(wait)
	}
	return nil
}

// tokenTake is what a batch's take granted one sender.
type tokenTake struct {
	granted int
	wait    time.Duration // until the next token, when it granted fewer than asked
}

// sendTakes are a send batch's token takes: the batch's rows' keys (nil
// for none: sends not limited) and, per sender, their number of sends,
// in key order for ratelimit.TakeTokensSQL.
type sendTakes struct {
	rowKeys [][]byte
	keys    [][]byte
	counts  []int32
	senders []int64 // per key
}

// takesFor lists the takes of batch under limit l (nil: none).
func takesFor(batch []sendReq, l *ratelimit.Rate) sendTakes {
	var t sendTakes
	if l == nil {
		t.rowKeys = make([][]byte, len(batch))
		return t
	}
	bySender := map[int64]int{}
	for _, r := range batch {
		k := ratelimit.Key(sendSubject(r.sender))
		t.rowKeys = append(t.rowKeys, k)
		if i, ok := bySender[r.sender]; ok {
			t.counts[i]++
			continue
		}
		bySender[r.sender] = len(t.keys)
		t.keys, t.counts, t.senders = append(t.keys, k), append(t.counts, 1), append(t.senders, r.sender)
	}
	return t
}

// readTakes reads ratelimit.TakeTokensSQL's rows for t into out, by sender.
func (t sendTakes) readTakes(out map[int64]tokenTake) func(pgx.Rows) error {
	return func(rows pgx.Rows) error {
		var key []byte
		var granted int
		var waitSecs float64
		_, err := pgx.ForEachRow(rows, []any{&key, &granted, &waitSecs}, func() error {
			i := slices.IndexFunc(t.keys, func(k []byte) bool { return bytes.Equal(k, key) })
			if i < 0 {
				return fmt.Errorf("token take returned a key it was not asked for")
			}
			out[t.senders[i]] = tokenTake{granted: granted, wait: time.Duration(max(0, waitSecs) * float64(time.Second))}
			return nil
		})
		return err
	}
}

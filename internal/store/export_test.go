package store

import (
	"context"

	"pixelpals/internal/domain"
)

// BatchSend is one send of SendBatch.
type BatchSend struct {
	Actor  *domain.Actor
	ConvID int64
	NM     NewMessage
}

// BatchAnswer is SendMessage's answer to one send of SendBatch.
type BatchAnswer struct {
	M       domain.Message
	Created bool
	Err     error
}

// SendBatch writes sends as one batch (one transaction), as the group
// would when they all arrived while another batch was in flight, and
// answers each as SendMessage does.
func (db *DB) SendBatch(ctx context.Context, sends []BatchSend) []BatchAnswer {
	calls := make([]*sendCall, len(sends))
	for i, s := range sends {
		calls[i] = &sendCall{req: sendReq{sender: s.Actor.UserID, convID: s.ConvID, nm: s.NM}, wake: make(chan []*sendCall, 1)}
	}
	db.writeSends(calls)
	out := make([]BatchAnswer, len(sends))
	for i, c := range calls {
		<-c.wake
		out[i].M, out[i].Created, out[i].Err = db.sendAnswer(ctx, sends[i].Actor, sends[i].ConvID, sends[i].NM, c.res)
	}
	return out
}

// SendBatchesInFlight is how many send batches run now.
func (db *DB) SendBatchesInFlight() int {
	g := db.sends()
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.inFlight
}

// PrintCredentials lists the credentials whose fingerprints g holds, in
// order, once per fingerprint read.
func (g *SendGate) PrintCredentials() []int64 {
	var out []int64
	for _, p := range g.prints {
		out = append(out, p.credentialID)
	}
	return out
}

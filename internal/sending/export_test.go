package sending

import (
	"context"

	"pixelpals/internal/batch"
	"pixelpals/internal/domain"
)

// BatchSend is one send of SendBatch.
type BatchSend struct {
	Actor  *domain.Actor
	ConvID int64
	Msg    Message
}

// BatchAnswer is Send's answer to one send of SendBatch.
type BatchAnswer struct {
	M       domain.Message
	Created bool
	Err     error
}

// SendBatch writes sends as one batch (one transaction), as the batcher
// would when they all arrived while another batch was in flight, and
// answers each as Send does (after the checks of the send gate).
func (s *Sender) SendBatch(ctx context.Context, sends []BatchSend) []BatchAnswer {
	calls := make([]*sendCall, len(sends))
	for i, b := range sends {
		calls[i] = batch.NewCall[sendReq, sendOutcome](sendReq{sender: b.Actor.UserID, convID: b.ConvID, msg: b.Msg})
	}
	s.writeSends(calls)
	out := make([]BatchAnswer, len(sends))
	for i, c := range calls {
		out[i].M, out[i].Created, out[i].Err = s.answer(ctx, sends[i].Actor, nil, c.Req, c.Result())
	}
	return out
}

// SendBatchesInFlight is how many send batches run now.
func (s *Sender) SendBatchesInFlight() int { return s.batches.InFlight() }

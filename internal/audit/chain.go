package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
)

// The audit chain (migration 00010): a BEFORE INSERT trigger gives every
// audit_logs row its place (chain_seq, gapless from 1), the hash of the row
// before it (prev_hash) and its own hash (row_hash). Verify walks the
// rows and recomputes every hash here, in Go, from the values as stored, so
// a row edited, deleted or added while a superuser disabled the triggers is
// named. An edit that also rewrites every later hash and the head is not
// detectable from the database alone: record the head Verify reports
// somewhere else (docs/security.md).

// auditGenesis is the prev_hash of the first row.
var auditGenesis = make([]byte, sha256.Size)

// auditRowText is one row's fields as PostgreSQL renders them; nil is NULL.
type auditRowText struct {
	ID                int64
	Seq               *int64
	PrevHash, RowHash []byte
	ActorID, Action   *string
	EntityType        *string
	EntityID          *string
	Before, After     *string
	IP                *string
	CreatedAt         *string
}

// auditRowHash mirrors the SQL function audit_chain_hash: SHA-256 of prev
// and the tagged fields, each "N" for NULL or "S<byte length>:<text>".
func auditRowHash(prev []byte, seq int64, r auditRowText) []byte {
	h := sha256.New()
	h.Write(prev)
	h.Write([]byte("pixelpals-audit-v1"))
	field := func(v *string) {
		if v == nil {
			h.Write([]byte("N"))
			return
		}
		fmt.Fprintf(h, "S%d:%s", len(*v), *v)
	}
	s := strconv.FormatInt(seq, 10)
	id := strconv.FormatInt(r.ID, 10)
	field(&s)
	field(&id)
	field(r.ActorID)
	field(r.Action)
	field(r.EntityType)
	field(r.EntityID)
	field(r.Before)
	field(r.After)
	field(r.IP)
	field(r.CreatedAt)
	return h.Sum(nil)
}

// Problem is one break in the chain, naming the row by id (and its
// place in the chain when it has one).
type Problem struct {
	ID     int64  // audit_logs.id of the row where the break shows; 0 for the head
	Seq    int64  // its chain_seq, 0 when it has none
	Kind   string // "changed", "deleted", "out_of_order", "outside_chain", "head"
	Detail string
}

func (p Problem) String() string {
	return fmt.Sprintf("%s: %s", p.Kind, p.Detail)
}

// Verification is the result of walking the whole chain.
type Verification struct {
	Rows     int64
	HeadSeq  int64
	HeadHash string // hex; record it elsewhere to anchor the chain
	Problems []Problem
}

// maxProblems bounds the report: the first one is what matters.
const maxProblems = 100

// Verify walks audit_logs in chain order and reports every break: a
// row whose hash does not match its content (changed), a gap in chain_seq
// (deleted), a row whose prev_hash is not the hash of the row before it
// (inserted out of order), a row without a place in the chain (inserted
// with the triggers disabled) and a head that does not end at the last row
// (rows deleted from the end). tx must be one REPEATABLE READ snapshot
// (the store's VerifyAudit opens it), so that the head and the rows agree.
func Verify(ctx context.Context, tx pgx.Tx) (Verification, error) {
	w := chainWalk{lastHash: auditGenesis}
	err := func() error {
		if err := tx.QueryRow(ctx, `SELECT seq, hash FROM audit_chain_head WHERE id = 1`).Scan(&w.v.HeadSeq, &w.headHash); err != nil {
			return fmt.Errorf("read head: %w", err)
		}
		w.v.HeadHash = hex.EncodeToString(w.headHash)
		rows, err := tx.Query(ctx, `
			SELECT id, chain_seq, prev_hash, row_hash, actor_id::text, action, entity_type, entity_id::text,
			       before_json::text, after_json::text, ip, to_char(created_at, 'YYYY-MM-DD"T"HH24:MI:SS.US')
			FROM audit_logs
			ORDER BY chain_seq NULLS LAST, id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r auditRowText
			if err := rows.Scan(&r.ID, &r.Seq, &r.PrevHash, &r.RowHash, &r.ActorID, &r.Action, &r.EntityType,
				&r.EntityID, &r.Before, &r.After, &r.IP, &r.CreatedAt); err != nil {
				return err
			}
			w.row(r)
		}
		return rows.Err()
	}()
	if err != nil {
		return Verification{}, fmt.Errorf("verify audit: %w", err)
	}
	w.end()
	return w.v, nil
}

// chainWalk is Verify's walk: the verification so far and the last
// row in the chain it saw.
type chainWalk struct {
	v        Verification
	headHash []byte
	lastSeq  int64
	lastHash []byte
	lastID   int64
}

func (w *chainWalk) add(p Problem) {
	if len(w.v.Problems) < maxProblems {
		w.v.Problems = append(w.v.Problems, p)
	}
}

// row checks the next row in chain order against its own hash and the
// row before it.
func (w *chainWalk) row(r auditRowText) {
	w.v.Rows++
	if r.Seq == nil {
		w.add(Problem{ID: r.ID, Kind: "outside_chain",
			Detail: fmt.Sprintf("row id %d has no place in the chain: inserted with the chain trigger disabled", r.ID)})
		return
	}
	seq := *r.Seq
	if !bytes.Equal(auditRowHash(r.PrevHash, seq, r), r.RowHash) {
		w.add(Problem{ID: r.ID, Seq: seq, Kind: "changed",
			Detail: fmt.Sprintf("row id %d (chain position %d) does not match its hash: changed after it was written", r.ID, seq)})
	}
	switch {
	case seq > w.lastSeq+1:
		w.add(Problem{ID: r.ID, Seq: seq, Kind: "deleted",
			Detail: fmt.Sprintf("chain positions %d..%d before row id %d are missing: deleted", w.lastSeq+1, seq-1, r.ID)})
	case !bytes.Equal(r.PrevHash, w.lastHash):
		after := "the start of the chain"
		if w.lastID != 0 {
			after = fmt.Sprintf("row id %d", w.lastID)
		}
		w.add(Problem{ID: r.ID, Seq: seq, Kind: "out_of_order",
			Detail: fmt.Sprintf("row id %d (chain position %d) does not follow %s: inserted out of order", r.ID, seq, after)})
	}
	w.lastSeq, w.lastHash, w.lastID = seq, r.RowHash, r.ID
}

// end checks that the head names the last row.
func (w *chainWalk) end() {
	switch {
	case w.v.HeadSeq > w.lastSeq:
		w.add(Problem{Kind: "deleted",
			Detail: fmt.Sprintf("chain positions %d..%d at the end are missing: deleted", w.lastSeq+1, w.v.HeadSeq)})
	case w.v.HeadSeq < w.lastSeq || !bytes.Equal(w.headHash, w.lastHash):
		w.add(Problem{Kind: "head",
			Detail: fmt.Sprintf("the chain head (position %d) does not end at the last row (position %d): head or last row rewritten", w.v.HeadSeq, w.lastSeq)})
	}
}

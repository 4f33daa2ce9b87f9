package store

import (
	"context"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/audit"
)

// VerifyAudit walks the audit chain (audit.Verify) in one REPEATABLE READ
// snapshot, so that the head and the rows it reads agree.
func (db *DB) VerifyAudit(ctx context.Context) (audit.Verification, error) {
	var v audit.Verification
	err := db.transact(ctx, txSnapshot, func(tx pgx.Tx) error {
		var err error
		v, err = audit.Verify(ctx, tx)
		return err
	})
	return v, err
}

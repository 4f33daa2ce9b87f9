package migrations_test

import (
	"context"
	"testing"

	"pixelpals/internal/pgtest"
)

// unindexedForeignKeysSQL lists the foreign keys (table, columns) no
// index can serve from the referencing side: PostgreSQL indexes the
// referenced key but not the referencing columns, so deleting a users row
// would scan the whole table of a key without one, for each row deleted
// (ON DELETE CASCADE and SET NULL alike). An index serves a key when its
// leading columns are the key's columns, in any order, and it is not
// partial, or partial on "column IS NOT NULL" for a column of the key
// (the only rows a key's search can match).
const unindexedForeignKeysSQL = `
	SELECT c.conrelid::regclass::text,
	       array(SELECT a.attname::text FROM unnest(c.conkey) k(n)
	             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY a.attname)
	FROM pg_constraint c
	WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
	  AND NOT EXISTS (
		SELECT 1 FROM pg_index i
		WHERE i.indrelid = c.conrelid
		  AND (i.indkey::int2[])[0:cardinality(c.conkey) - 1] @> c.conkey
		  AND cardinality(c.conkey) <= i.indnkeyatts
		  AND (i.indpred IS NULL OR pg_get_expr(i.indpred, i.indrelid) IN (
			SELECT '(' || a.attname || ' IS NOT NULL)' FROM unnest(c.conkey) k(n)
			JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n)))
	ORDER BY 1, 2`

// TestForeignKeysIndexed: every foreign key has an index a delete of the
// row it references can use (00029 added the ones 00003, 00010 and 00023
// left out), so a later migration that forgets one fails here.
func TestForeignKeysIndexed(t *testing.T) {
	t.Parallel()
	rows, err := pgtest.DB(t).Pool.Query(context.Background(), unindexedForeignKeysSQL)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var table string
		var cols []string
		if err := rows.Scan(&table, &cols); err != nil {
			t.Fatal(err)
		}
		t.Errorf("foreign key %s%v has no index: a delete of the row it references scans %s", table, cols, table)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

-- Migration number: 0004 	 2026-12-07T23:56:25.311Z
-- The guard of a conditional create (R4 http.html#ccreate, #cond-update): a write that must only
-- happen if no current resource matches its criteria carries, in its own db.batch(), one
--   INSERT INTO conditional_guard (no_match) SELECT NULL WHERE EXISTS (<the criteria's search>)
-- A match makes that a NULL in a NOT NULL column, so the whole batch fails and rolls back (D1 batches
-- are transactions); no match inserts nothing. The table therefore always stays empty. See
-- docs/storage.md "Conditional creates" and src/fhir/storage/commit.ts.
CREATE TABLE conditional_guard (
  no_match INTEGER NOT NULL
) STRICT;

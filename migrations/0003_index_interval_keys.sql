-- Migration number: 0003 	 2026-12-07T22:47:39.377Z
-- Number and quantity index rows are keyed by their interval too. A value and a comparator or Range
-- with the same v (`100` and `<100`) are two rows with different (lo, hi); under the old keys
-- (sp, v, pk) and (sp, code, system, v, pk) the second was silently ignored on insert, and an update
-- that removed the first never put the second back. The key now holds every column, as the other
-- index tables' keys do, so what is stored is exactly what the extractor derives.

CREATE TABLE ix_number_new (
  sp INTEGER NOT NULL,
  v  REAL    NOT NULL,
  lo REAL    NOT NULL,
  hi REAL    NOT NULL,
  pk INTEGER NOT NULL,
  PRIMARY KEY (sp, v, lo, hi, pk)
) WITHOUT ROWID, STRICT;
INSERT INTO ix_number_new (sp, v, lo, hi, pk) SELECT sp, v, lo, hi, pk FROM ix_number;
DROP TABLE ix_number;
ALTER TABLE ix_number_new RENAME TO ix_number;
CREATE INDEX ix_number_pk ON ix_number (pk, sp);
CREATE INDEX ix_number_iv ON ix_number (sp, lo) WHERE lo < hi;

CREATE TABLE ix_quantity_new (
  sp     INTEGER NOT NULL,
  code   TEXT    NOT NULL,
  system TEXT    NOT NULL,
  v      REAL    NOT NULL,
  lo     REAL    NOT NULL,
  hi     REAL    NOT NULL,
  pk     INTEGER NOT NULL,
  PRIMARY KEY (sp, code, system, v, lo, hi, pk)
) WITHOUT ROWID, STRICT;
INSERT INTO ix_quantity_new (sp, code, system, v, lo, hi, pk)
  SELECT sp, code, system, v, lo, hi, pk FROM ix_quantity;
DROP TABLE ix_quantity;
ALTER TABLE ix_quantity_new RENAME TO ix_quantity;
CREATE INDEX ix_quantity_pk ON ix_quantity (pk, sp);
CREATE INDEX ix_quantity_iv ON ix_quantity (sp, lo) WHERE lo < hi;

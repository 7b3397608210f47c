-- Migration number: 0002 	 2026-11-29T12:00:00.000Z
-- Search engine indexes (docs/search.md). Every index below is one more billed row write per value, so
-- each one is here for a query shape that would otherwise scan: see docs/search.md "Indexes".
-- The extractor changed with this migration (number/quantity rows store the value's interval, composite,
-- Reference.identifier and Identifier-type rows are new): databases loaded before it need a reindex.

-- token: pk before system, so `code=X` (any system) walks one (sp, code) range in pk order: the first
-- page of a token search reads about _count rows however many resources match.
CREATE TABLE ix_token_v2 (
  sp     INTEGER NOT NULL,
  code   TEXT    NOT NULL,
  system TEXT    NOT NULL,
  pk     INTEGER NOT NULL,
  PRIMARY KEY (sp, code, pk, system)
) WITHOUT ROWID, STRICT;
INSERT INTO ix_token_v2 (sp, code, system, pk) SELECT sp, code, system, pk FROM ix_token;
DROP TABLE ix_token;
ALTER TABLE ix_token_v2 RENAME TO ix_token;

-- By-resource indexes: test one resource against a filter (a probe) and read its sort key with a seek.
-- ix_ref already has ix_ref_pk.
CREATE INDEX ix_token_pk ON ix_token (pk, sp);
CREATE INDEX ix_string_pk ON ix_string (pk, sp);
CREATE INDEX ix_date_pk ON ix_date (pk, sp);
CREATE INDEX ix_number_pk ON ix_number (pk, sp);
CREATE INDEX ix_quantity_pk ON ix_quantity (pk, sp);
CREATE INDEX ix_uri_pk ON ix_uri (pk, sp);

-- Date values longer than a day (partial dates, long or open Periods): a date range search seeks the
-- short values by `lo` within [from - 1 day, to] and reads only the long ones here.
CREATE INDEX ix_date_long ON ix_date (sp, lo) WHERE hi - lo >= 86400000;

-- Number and quantity values that are intervals (Range, `<5`): a prefix search seeks point values by v.
CREATE INDEX ix_number_iv ON ix_number (sp, lo) WHERE lo < hi;
CREATE INDEX ix_quantity_iv ON ix_quantity (sp, lo) WHERE lo < hi;

-- Resources of one type in pk order (the walk used when no filter narrows the search enough).
CREATE INDEX resource_type_pk ON resource (type);

-- composite (search.html#composite): one row per combination of a token component value (key is
-- `code`, `system|code` or `|code`) and the last component's value, taken from the same element.
-- a, b, v, lo, hi hold the last component as its own table would: token code/system, string
-- norm/exact, reference or uri target in a, number/quantity code/system/v/lo/hi, date lo/hi.
CREATE TABLE ix_composite (
  sp  INTEGER NOT NULL,
  key TEXT    NOT NULL,
  pk  INTEGER NOT NULL,
  a   TEXT    NOT NULL,
  b   TEXT    NOT NULL,
  v   REAL    NOT NULL,
  lo  REAL    NOT NULL,
  hi  REAL    NOT NULL,
  PRIMARY KEY (sp, key, pk, a, b, v, lo, hi)
) WITHOUT ROWID, STRICT;

-- Sort keys are read from the value tables above (min for ascending, max for descending); the
-- ix_sort table of 0001 was never written.
DROP TABLE ix_sort;

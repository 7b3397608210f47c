-- Migration number: 0001 	 2026-11-29T09:40:00.000Z
-- edge-fhir storage: current resources, every version (history), and one index table per search value type.
-- Design notes: docs/storage.md. Index rows carry `sp`, a stable 31-bit id of "<ResourceType>.<code>"
-- (see src/fhir/search/registry.ts), and `pk`, the owning resource row. Rows are derived from the body by a
-- deterministic extractor, so an update deletes exactly the old rows it can recompute from the old body.

-- Current state of each resource (deleted resources keep their row with deleted = 1 and the last body).
CREATE TABLE resource (
  pk           INTEGER PRIMARY KEY,
  type         TEXT    NOT NULL,
  id           TEXT    NOT NULL,
  version      INTEGER NOT NULL,
  last_updated INTEGER NOT NULL,            -- epoch milliseconds, UTC
  deleted      INTEGER NOT NULL DEFAULT 0,
  body         TEXT    NOT NULL,            -- the resource JSON as served (meta set by the server)
  present      TEXT,                        -- ',<sp>,<sp>,' search params with values (for :missing)
  UNIQUE (type, id)
) STRICT;
CREATE INDEX resource_type_updated ON resource (type, last_updated, pk);

-- Every version, the current one included. (pk, version) is the optimistic lock: two writers that read the
-- same version both try to insert version + 1, and the second batch fails as a whole.
CREATE TABLE resource_history (
  pk           INTEGER NOT NULL,
  version      INTEGER NOT NULL,
  type         TEXT    NOT NULL,
  id           TEXT    NOT NULL,
  last_updated INTEGER NOT NULL,
  method       TEXT    NOT NULL,            -- POST | PUT | PATCH | DELETE
  body         TEXT,                        -- NULL for a delete
  PRIMARY KEY (pk, version)
) STRICT;
CREATE INDEX history_updated ON resource_history (last_updated, pk, version);
CREATE INDEX history_type_updated ON resource_history (type, last_updated, pk, version);

-- token: code, system|code, |code, system| (system '' when absent; code '' when only a system is given)
CREATE TABLE ix_token (
  sp     INTEGER NOT NULL,
  code   TEXT    NOT NULL,
  system TEXT    NOT NULL,
  pk     INTEGER NOT NULL,
  PRIMARY KEY (sp, code, system, pk)
) WITHOUT ROWID, STRICT;

-- token :text and other free text, normalised (lower case, accents removed)
CREATE TABLE ix_token_text (
  sp   INTEGER NOT NULL,
  norm TEXT    NOT NULL,
  pk   INTEGER NOT NULL,
  PRIMARY KEY (sp, norm, pk)
) WITHOUT ROWID, STRICT;

-- string: one row per searchable part; prefix match is a range on norm, :exact compares exact
CREATE TABLE ix_string (
  sp    INTEGER NOT NULL,
  norm  TEXT    NOT NULL,
  exact TEXT    NOT NULL,
  pk    INTEGER NOT NULL,
  PRIMARY KEY (sp, norm, exact, pk)
) WITHOUT ROWID, STRICT;

-- date, dateTime, instant, Period, Timing: inclusive [lo, hi] in epoch milliseconds
CREATE TABLE ix_date (
  sp INTEGER NOT NULL,
  lo INTEGER NOT NULL,
  hi INTEGER NOT NULL,
  pk INTEGER NOT NULL,
  PRIMARY KEY (sp, lo, hi, pk)
) WITHOUT ROWID, STRICT;
CREATE INDEX ix_date_hi ON ix_date (sp, hi, lo);

-- number: the value and the range its precision implies
CREATE TABLE ix_number (
  sp INTEGER NOT NULL,
  v  REAL    NOT NULL,
  lo REAL    NOT NULL,
  hi REAL    NOT NULL,
  pk INTEGER NOT NULL,
  PRIMARY KEY (sp, v, pk)
) WITHOUT ROWID, STRICT;

-- quantity: value with system and code (code '' and system '' when absent)
CREATE TABLE ix_quantity (
  sp     INTEGER NOT NULL,
  code   TEXT    NOT NULL,
  system TEXT    NOT NULL,
  v      REAL    NOT NULL,
  lo     REAL    NOT NULL,
  hi     REAL    NOT NULL,
  pk     INTEGER NOT NULL,
  PRIMARY KEY (sp, code, system, v, pk)
) WITHOUT ROWID, STRICT;

-- reference: target is 'Type/id' for local references, else the absolute or canonical URL
CREATE TABLE ix_ref (
  sp     INTEGER NOT NULL,
  target TEXT    NOT NULL,
  pk     INTEGER NOT NULL,
  PRIMARY KEY (sp, target, pk)
) WITHOUT ROWID, STRICT;
CREATE INDEX ix_ref_pk ON ix_ref (pk, sp, target);

-- uri: exact value; :below is a range, :above a list of prefixes
CREATE TABLE ix_uri (
  sp  INTEGER NOT NULL,
  uri TEXT    NOT NULL,
  pk  INTEGER NOT NULL,
  PRIMARY KEY (sp, uri, pk)
) WITHOUT ROWID, STRICT;

-- _sort keys: the smallest value (ascending) and the largest (descending) of a parameter per resource
CREATE TABLE ix_sort (
  sp     INTEGER NOT NULL,
  pk     INTEGER NOT NULL,
  k_asc  ANY,
  k_desc ANY,
  PRIMARY KEY (sp, pk)
) WITHOUT ROWID, STRICT;
CREATE INDEX ix_sort_asc ON ix_sort (sp, k_asc, pk);
CREATE INDEX ix_sort_desc ON ix_sort (sp, k_desc, pk);

// Telling a lost race from a failed write. Two writers that read the same version both plan version
// + 1; the second one's batch fails on a key of the optimistic lock, and only that is a WriteConflict
// (the caller re-reads and retries, or answers 409 / 412). A conditional create whose criteria
// matched a resource committed after its search fails on its guard: a MatchConflict (the caller runs
// the conditional interaction again, which now finds the match). Any other failure (a NOT NULL or
// type violation, a D1 outage) is an ordinary error: retrying would not help, and it is not a
// conflict.

/** Thrown when another writer changed the resource between our read and our write. */
export class WriteConflict extends Error {
  constructor() {
    super('the resource was changed by another request')
    this.name = 'WriteConflict'
  }
}

/**
 * SQLite's message for the two keys of the lock, as D1 reports it ("D1_ERROR: UNIQUE constraint failed:
 * resource_history.pk, resource_history.version: SQLITE_CONSTRAINT (extended: ..._PRIMARYKEY)"): the
 * history key (pk, version) of an existing resource and UNIQUE (type, id) of a new one
 * (migrations/0001_schema.sql).
 */
const LOCK_CLASH =
  /\bUNIQUE constraint failed: (?:resource_history\.pk, resource_history\.version|resource\.type, resource\.id)(?::|$)/

/**
 * Thrown when a batch that required its criteria to match nothing (a `requireNoMatch` op) found a
 * match: another request committed a matching resource after this one searched. Not a WriteConflict:
 * re-planning the same write would fail again; the conditional interaction must search again.
 */
export class MatchConflict extends Error {
  constructor() {
    super('a resource matching the criteria was created by another request')
    this.name = 'MatchConflict'
  }
}

/**
 * The guard's failure (commit.ts, migrations/0004_conditional_guard.sql): "D1_ERROR: NOT NULL
 * constraint failed: conditional_guard.no_match: SQLITE_CONSTRAINT". No other statement writes that
 * table.
 */
const GUARD_FAILED = /\bNOT NULL constraint failed: conditional_guard\.no_match(?::|$)/

/**
 * What a failed batch means: WriteConflict for a clash on a key of the optimistic lock,
 * MatchConflict for a failed guard, else `err` itself.
 */
export function asCommitError(err: unknown): unknown {
  const message = err instanceof Error ? err.message : String(err)
  if (LOCK_CLASH.test(message)) return new WriteConflict()
  if (GUARD_FAILED.test(message)) return new MatchConflict()
  return err
}

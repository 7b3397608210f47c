// Telling a lost race from a failed write. Two writers that read the same version both plan version
// + 1; the second one's batch fails on a key of the optimistic lock, and only that is a WriteConflict
// (the caller re-reads and retries, or answers 409 / 412). Any other failure (a NOT NULL or type
// violation, a D1 outage) is an ordinary error: retrying would not help, and it is not a conflict.

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

/** WriteConflict when `err` is a clash on a key of the optimistic lock, else `err` itself. */
export function asWriteConflict(err: unknown): unknown {
  const message = err instanceof Error ? err.message : String(err)
  return LOCK_CLASH.test(message) ? new WriteConflict() : err
}

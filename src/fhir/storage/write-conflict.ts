// Telling a lost race from a failed write. Two writers that read the same version both plan version
// + 1; the second one's batch fails on a key of the optimistic lock, and that is a WriteConflict (the
// caller re-reads and retries, or answers 409 / 412).

/** Thrown when another writer changed the resource between our read and our write. */
export class WriteConflict extends Error {
  constructor() {
    super('the resource was changed by another request')
    this.name = 'WriteConflict'
  }
}

/** WriteConflict when `err` is a constraint failure, else `err` itself. */
export function asWriteConflict(err: unknown): unknown {
  return /constraint/i.test(String((err as Error)?.message ?? err)) ? new WriteConflict() : err
}

// The revocation check of a bearer request without a round trip of its own: the request's D1 binding is
// wrapped so that every round trip it makes (a statement's first/all/run, or a db.batch()) is one
// batch that starts with the token guard statement (token-store.ts, migration 0005). A revoked or
// expired token fails that batch, which rolls back before any of the request's statements counts, so
// a revoked token neither reads nor writes; the failure is remembered and the request is answered 401
// (invalid_token) whatever the code above made of the error (`isLive`). `raw()` (read-only policy
// queries) runs its statement and the check side by side instead, and keeps its rows only if the
// token is live. A request that made no D1 call is checked once at its end, before its answer leaves.

import { invalidToken } from './challenges.ts'
import { isTokenGuardRefusal, tokenGuardStatement } from './token-store.ts'

export interface TokenGuard {
  /** The D1 binding the request uses in place of env.DB. */
  readonly db: D1Database
  /**
   * Whether the token was live in every round trip the request made, once they have all settled; a
   * request that made none gets one check of its own here.
   */
  isLive(): Promise<boolean>
}

export function tokenGuard(inner: D1Database, jti: string): TokenGuard {
  let refused = false
  // Every round trip made so far, so the answer waits for the ones still running (a policy query
  // that timed out leaves its own behind).
  const trips: Promise<unknown>[] = []
  const now = () => Math.floor(Date.now() / 1000)

  function guarded(statements: D1PreparedStatement[]): Promise<D1Result[]> {
    const trip = run(statements)
    trips.push(trip)
    return trip
  }

  async function run(statements: D1PreparedStatement[]): Promise<D1Result[]> {
    if (refused) throw invalidToken()
    try {
      const results = await inner.batch([tokenGuardStatement(inner, jti, now()), ...statements])
      return results.slice(1)
    } catch (err) {
      if (!isTokenGuardRefusal(err)) throw err
      refused = true
      throw invalidToken()
    }
  }

  const unwrap = (statement: D1PreparedStatement): D1PreparedStatement =>
    statement instanceof GuardedStatement ? statement.inner : statement

  class GuardedStatement implements D1PreparedStatement {
    readonly inner: D1PreparedStatement
    constructor(inner: D1PreparedStatement) {
      this.inner = inner
    }
    bind(...values: unknown[]): D1PreparedStatement {
      return new GuardedStatement(this.inner.bind(...values))
    }
    async first<T = unknown>(column?: string): Promise<T | null> {
      const [result] = await guarded([this.inner])
      const row = (result!.results[0] ?? null) as Record<string, unknown> | null
      if (row === null) return null
      return (column === undefined ? row : (row[column] ?? null)) as T
    }
    async run<T = Record<string, unknown>>(): Promise<D1Result<T>> {
      const [result] = await guarded([this.inner])
      return result as D1Result<T>
    }
    async all<T = Record<string, unknown>>(): Promise<D1Result<T>> {
      return this.run<T>()
    }
    raw<T = unknown[]>(options: { columnNames: true }): Promise<[string[], ...T[]]>
    raw<T = unknown[]>(options?: { columnNames?: false }): Promise<T[]>
    async raw<T = unknown[]>(options?: {
      columnNames?: boolean
    }): Promise<T[] | [string[], ...T[]]> {
      // A batch answers rows as objects, which cannot give raw rows back faithfully (an integer-like
      // column name would reorder them). The check runs beside the statement, at the same time, and
      // its answer is awaited before the rows are: the one caller (the policy sql engine) only reads.
      const [check, rows] = await Promise.allSettled([
        guarded([]),
        this.inner.raw<T>(options as { columnNames: true }),
      ])
      // The check's answer first: a revoked token is refused even when the query failed too.
      if (check.status === 'rejected') throw check.reason
      if (rows.status === 'rejected') throw rows.reason
      return rows.value
    }
  }

  const db: D1Database = {
    prepare: (query: string) => new GuardedStatement(inner.prepare(query)),
    batch: <T = unknown>(statements: D1PreparedStatement[]) =>
      guarded(statements.map(unwrap)) as Promise<D1Result<T>[]>,
    exec: () => Promise.reject(new Error('exec is not available to a request')),
    dump: () => Promise.reject(new Error('dump is not available to a request')),
    withSession: () => {
      throw new Error('withSession is not available through the token guard')
    },
  }

  return {
    db,
    async isLive() {
      if (trips.length === 0) {
        // Its own check: a refusal is an answer, any other failure (D1 unreachable) is thrown.
        await guarded([]).catch((err: unknown) => {
          if (!refused) throw err
        })
      }
      await Promise.allSettled(trips)
      return !refused
    },
  }
}

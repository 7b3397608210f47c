// The revocation check of a bearer request without a round trip of its own: the request's D1 binding is
// wrapped so that every round trip it makes (a statement's first/all/run, or a db.batch()) is one
// batch that starts with the token guard statement (token-store.ts, migration 0005). A revoked or
// expired token fails that batch, which rolls back before any of the request's statements counts, so
// a revoked token neither reads nor writes; the failure is remembered (`refused`) and the request is
// answered 401 (invalid_token) whatever the code above made of the error. `raw()` (read-only policy
// queries) runs its statement and the check side by side instead, and keeps its rows only if the
// token is live. A request that made no D1 call is checked
// once at its end (`checkIfUnused`), before its answer leaves.

import { FhirError } from '../errors/outcome.ts'
import { invalidToken } from './challenges.ts'
import { isTokenGuardRefusal, tokenGuardStatement } from './token-store.ts'

export interface TokenGuard {
  /** The D1 binding the request uses in place of env.DB. */
  readonly db: D1Database
  /** True once a round trip found the token no longer live. */
  readonly refused: boolean
  /** Checks the token with a round trip of its own if the request made none; true when it is live. */
  checkIfUnused(): Promise<boolean>
}

export function tokenGuard(inner: D1Database, jti: string): TokenGuard {
  let used = false
  let refused = false
  const now = () => Math.floor(Date.now() / 1000)

  async function guarded(statements: D1PreparedStatement[]): Promise<D1Result[]> {
    if (refused) throw invalidToken()
    used = true
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
      const [, rows] = await Promise.all([
        guarded([]),
        this.inner.raw<T>(options as { columnNames: true }),
      ])
      return rows
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
    get refused() {
      return refused
    },
    async checkIfUnused() {
      if (used) return !refused
      try {
        await guarded([])
        return true
      } catch (err) {
        if (err instanceof FhirError && refused) return false
        throw err
      }
    },
  }
}

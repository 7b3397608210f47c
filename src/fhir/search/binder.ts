// Bound parameters of one statement: every value goes in as `?N`, never into the SQL text. D1 allows
// at most 100 per statement, so lists go in as one JSON parameter read with json_each.

import { badRequest } from '../../errors/outcome.ts'

const MAX_BINDS = 100

export class Binder {
  readonly values: unknown[] = []
  private readonly known = new Map<string, string>()

  /** `?N` for `value`; the same string or number reuses its parameter. */
  bind(value: string | number): string {
    const key = `${typeof value}:${value}`
    const existing = this.known.get(key)
    if (existing) return existing
    this.values.push(value)
    if (this.values.length > MAX_BINDS) {
      throw badRequest(
        `The search is too complex: it needs more than ${MAX_BINDS} values in one query`
      )
    }
    const ref = `?${this.values.length}`
    this.known.set(key, ref)
    return ref
  }

  /** A subquery listing `values` (one bound JSON parameter). */
  list(values: readonly (string | number)[]): string {
    return `(SELECT value FROM json_each(${this.bind(JSON.stringify(values))}))`
  }

  /** `= ?` for one value, `IN (...)` for several. */
  isIn(values: readonly (string | number)[]): string {
    return values.length === 1 ? `= ${this.bind(values[0]!)}` : `IN ${this.list(values)}`
  }
}

/** Fresh table aliases for one statement, so nested subqueries never capture each other's columns. */
export class Aliases {
  private n = 0
  next(prefix: string): string {
    return `${prefix}${++this.n}`
  }
}

// Bound parameters of one statement: every value goes in as a parameter, never into the SQL text. D1
// takes at most 100 parameters (`?1` .. `?100`, limits.ts); the 100th and later values travel together
// as one JSON array in the last parameter and are read as `(?100 ->> i)`, a constant expression that
// index seeks use like a parameter. Lists go in as one JSON parameter read with json_each.

import { D1_MAX_BINDS } from './limits.ts'

/** A bound value's place in SQL (`?N`); what alternative builders write values with (filter-sql.ts). */
export type Bind = (value: string | number) => string

export class Binder {
  private readonly direct: unknown[] = []
  private readonly spilled: (string | number)[] = []
  private readonly known = new Map<string, string>()

  /** The statement's parameters, in order. */
  get values(): unknown[] {
    return this.spilled.length ? [...this.direct, JSON.stringify(this.spilled)] : this.direct
  }

  /** `?N` for `value`; the same string or number reuses its parameter. */
  readonly bind: Bind = (value) => {
    const key = `${typeof value}:${value}`
    const existing = this.known.get(key)
    if (existing) return existing
    let ref: string
    if (this.direct.length < D1_MAX_BINDS - 1) {
      this.direct.push(value)
      ref = `?${this.direct.length}`
    } else {
      // JSON has no Infinity or NaN; parsing refuses such numbers (parse-values.ts).
      if (typeof value === 'number' && !Number.isFinite(value)) {
        throw new Error(`cannot pass ${value} as a JSON value`)
      }
      this.spilled.push(value)
      ref = `(?${D1_MAX_BINDS} ->> ${this.spilled.length - 1})`
    }
    this.known.set(key, ref)
    return ref
  }

  /** A subquery listing `values` (one bound JSON parameter). */
  list(values: readonly (string | number)[]): string {
    return `(SELECT value FROM json_each(${this.bind(JSON.stringify(values))}))`
  }

  /** `= ?` for one value, `IN (...)` for several. */
  isIn(values: readonly (string | number)[]): string {
    return isIn(this.bind, values)
  }
}

/** `= ?` for one value, `IN (...)` for several (one JSON list), written with `bind`. */
export function isIn(bind: Bind, values: readonly (string | number)[]): string {
  return values.length === 1
    ? `= ${bind(values[0]!)}`
    : `IN (SELECT value FROM json_each(${bind(JSON.stringify(values))}))`
}

/** Fresh table aliases for one statement, so nested subqueries never capture each other's columns. */
export class Aliases {
  private n = 0
  next(prefix: string): string {
    return `${prefix}${++this.n}`
  }
}

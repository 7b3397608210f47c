// What one search asks for, counted against the request limits (limits.ts, docs/search.md "Limits")
// while its query string is parsed: the first parameter past a limit is refused with a 400
// OperationOutcome (`too-costly`) that names it.

import { splitEscaped } from './escape.ts'
import {
  MAX_INCLUDES,
  MAX_PARAMETERS,
  MAX_TOTAL_VALUES,
  MAX_UNINDEXED_VALUES,
  MAX_VALUES,
  tooCostly,
} from './limits.ts'
import type { Filter } from './request.ts'

/**
 * Values whose seek no index narrows, so each reads every value of its parameter: a quantity
 * without a unit (ix_quantity is keyed by unit before value), a `system|` token, a `:contains`
 * string. In chains and `_has` too.
 */
function unindexed(filter: Filter): number {
  switch (filter.kind) {
    case 'token':
      return filter.not ? 0 : filter.values.filter((v) => v.code === undefined).length
    case 'quantity':
      return filter.tests.filter((t) => t.code === undefined).length
    case 'string':
      return filter.mode === 'contains' ? filter.values.length : 0
    case 'chain':
      return filter.hops.reduce((n, hop) => n + unindexed(hop.inner), 0)
    case 'has':
      return unindexed(filter.inner)
    default:
      return 0
  }
}

export class Budget {
  private parameters = 0
  private values = 0
  private unindexed = 0
  private includes = 0

  /** Counts a search parameter `key=raw` before it is parsed. */
  filter(key: string, raw: string): void {
    const values = splitEscaped(raw, ',').length
    if (values > MAX_VALUES) {
      throw tooCostly(`${key} has ${values} values; at most ${MAX_VALUES} are allowed`, [key])
    }
    if (++this.parameters > MAX_PARAMETERS) {
      throw tooCostly(`A search takes at most ${MAX_PARAMETERS} search parameters`, [key])
    }
    this.values += values
    if (this.values > MAX_TOTAL_VALUES) {
      throw tooCostly(`A search takes at most ${MAX_TOTAL_VALUES} values over all its parameters`, [
        key,
      ])
    }
  }

  /** Counts the values of a parsed parameter that no index narrows. */
  parsed(key: string, filter: Filter): void {
    this.unindexed += unindexed(filter)
    if (this.unindexed > MAX_UNINDEXED_VALUES) {
      throw tooCostly(
        `A search takes at most ${MAX_UNINDEXED_VALUES} values that read every value of their ` +
          'parameter (a quantity without a unit, a system| token, :contains)',
        [key]
      )
    }
  }

  include(key: string): void {
    if (++this.includes > MAX_INCLUDES) {
      throw tooCostly(`A search takes at most ${MAX_INCLUDES} _include and _revinclude`, [key])
    }
  }
}

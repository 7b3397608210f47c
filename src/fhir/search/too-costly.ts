// Telling a search D1 refuses for its size from a failure of the database. A search within the limits
// (limits.ts) never builds such a statement; this is the net for anything the limits did not foresee,
// so that it is the client's 400 (`too-costly`, naming the search parameters) and not a 500.

import type { FhirError } from '../../errors/outcome.ts'
import { tooCostly } from './limits.ts'
import type { SearchRequest } from './request.ts'

/** Thrown before D1 is asked to prepare a statement longer than it accepts. */
export class StatementTooLong extends Error {
  constructor() {
    super('statement too long')
    this.name = 'StatementTooLong'
  }
}

/**
 * SQLite's messages for a statement beyond a compile-time limit, as D1 reports them ("D1_ERROR:
 * Expression tree is too large (maximum depth 100): SQLITE_ERROR").
 */
const SIZE_LIMIT =
  /\b(?:too many terms in compound SELECT|Expression tree is too large|statement too long|too many SQL variables|parser stack overflow|at most \d+ tables in a join|too many columns|too many FROM clause terms)\b/

/** The 400 for `err` when it is a statement refused for its size, else undefined. */
export function asTooCostly(err: unknown, request: SearchRequest): FhirError | undefined {
  const message = err instanceof Error ? err.message : String(err)
  if (!(err instanceof StatementTooLong) && !SIZE_LIMIT.test(message)) return undefined
  const names = [...new Set(request.filters.map((f) => f.name).filter((n) => n !== ''))]
  return tooCostly('The search is too complex to run: use fewer parameters or values', names)
}

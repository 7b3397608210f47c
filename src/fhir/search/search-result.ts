// What a search returns (run-search.ts, includes.ts) and the searchset Bundle is made of: the matched
// and included rows with their stored JSON text, the counted total, paging cursors and warnings.

import type { Cursor } from './request.ts'

/** A matched or included resource: row key, type, id, stored JSON text and its sort keys. */
export interface SearchRow {
  pk: number
  type: string
  id: string
  body: string
  keys: (string | number | null)[]
}

export interface SearchResult {
  rows: SearchRow[]
  included: SearchRow[]
  total?: number
  next?: Cursor
  previous?: Cursor
  /** Notes for the OperationOutcome entry (a cap that was reached, ...). */
  warnings: string[]
}

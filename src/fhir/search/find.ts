// Searching from inside the server (conditional create/update/delete, If-None-Exist, transactions):
// the same parser and SQL as the search API, returning only ids, or the SQL of "a current resource
// matches" that a conditional create's write carries as its guard (storage's `requireNoMatch` op).
// Kept stable for those callers.

import { badRequest } from '../../errors/outcome.ts'
import { parseSearch } from './parse.ts'
import { pageQuery } from './plan.ts'
import type { Query } from './query-parts.ts'
import type { SearchRequest } from './request.ts'
import { runSearch } from './run-search.ts'

/**
 * `query` as criteria: a search of `type` that applies every parameter. Criteria the server cannot
 * apply are an error here, never ignored: a conditional write must not act on a broader match than
 * the client asked for.
 */
function parseCriteria(type: string, query: URLSearchParams): SearchRequest {
  const request = parseSearch(type, query)
  if (request.ignored.length) {
    throw badRequest(
      `Search criteria not supported: ${request.ignored.map((i) => `${i.name} (${i.reason})`).join(', ')}`
    )
  }
  return request
}

/** Ids of up to `limit` current (not deleted) resources of `type` matching `query`. */
export async function findIds(
  db: D1Database,
  type: string,
  query: URLSearchParams,
  limit: number
): Promise<string[]> {
  const request = parseCriteria(type, query)
  request.count = limit
  const { rows } = await runSearch(db, request)
  return rows.map((row) => row.id)
}

/**
 * A SELECT returning a row when a current resource of `type` matches `query`, with its parameters:
 * the first row of the same search findIds runs (any `_sort` and `_cursor` dropped, so every match
 * counts). 400 for criteria findIds refuses. For storage's `requireNoMatch` op (R4 http.html#ccreate).
 */
export function matchQuery(type: string, query: URLSearchParams): Query {
  const request = parseCriteria(type, query)
  request.sort = []
  return pageQuery(request, undefined, 1)
}

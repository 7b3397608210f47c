// Searching from inside the server (conditional create/update/delete, If-None-Exist, transactions):
// the same parser and SQL as the search API, returning only ids. Kept stable for those callers.

import { badRequest } from '../../errors/outcome.ts'
import { parseSearch } from './parse.ts'
import { runSearch } from './run-search.ts'

/**
 * Ids of up to `limit` current (not deleted) resources of `type` matching `query` (search parameters
 * in query-string form). Criteria the server cannot apply are an error here, never ignored: a
 * conditional write must not act on a broader match than the client asked for.
 */
export async function findIds(
  db: D1Database,
  type: string,
  query: URLSearchParams,
  limit: number
): Promise<string[]> {
  const request = parseSearch(type, query)
  if (request.ignored.length) {
    throw badRequest(
      `Search criteria not supported: ${request.ignored.map((i) => `${i.name} (${i.reason})`).join(', ')}`
    )
  }
  request.count = limit
  const { rows } = await runSearch(db, request)
  return rows.map((row) => row.id)
}

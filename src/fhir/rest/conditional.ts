// Conditional interactions (R4 http.html#ccreate, #cond-update, #cdelete, #cpatch): the search
// criteria in the URL or in If-None-Exist, matched with the search engine. Criteria it cannot apply
// are a 400 (findIds refuses them) so a conditional write never acts on a broader match than asked.
// Criteria are a search: the searched type and every type they traverse are authorised as searches
// before anything is matched, so a write cannot be used to learn what a search would not show.

import { badRequest, preconditionFailed } from '../../errors/outcome.ts'
import { findIds } from '../search/find.ts'
import { parseSearch } from '../search/parse.ts'
import { typesRead, type SearchAccess } from './search-access.ts'

/** Parameters that shape a response, not a match: they are not criteria. */
const NOT_CRITERIA = new Set(['_format', '_pretty', '_summary', '_elements'])
/**
 * Parameters that page, order or widen a search: in criteria they would pick one of several matches
 * (a `_cursor` past the first) where the spec asks for 412, so they are refused.
 */
const REFUSED = new Set(['_cursor', '_sort', '_count', '_total', '_include', '_revinclude'])

/** The criteria of a conditional URL's query, without response parameters; 400 when there are none. */
export function criteria(type: string, query: URLSearchParams): URLSearchParams {
  const result = new URLSearchParams()
  for (const [key, value] of query) {
    const name = key.split(':')[0]!
    if (REFUSED.has(name)) {
      throw badRequest(`${name} is not a search criterion of a conditional interaction`, [key])
    }
    if (!NOT_CRITERIA.has(key)) result.append(key, value)
  }
  if (![...result.keys()].length) {
    throw badRequest(
      `A conditional interaction on ${type} needs search criteria (e.g. ${type}?identifier=system|value)`
    )
  }
  return result
}

/** The criteria of an If-None-Exist header: a query string, optionally with `Type?` or `?` before it. */
export function ifNoneExistCriteria(type: string, header: string): URLSearchParams {
  let query = header.trim()
  if (query.startsWith(`${type}?`)) query = query.slice(type.length + 1)
  else if (query.startsWith('?')) query = query.slice(1)
  if (/^[A-Za-z]+\?/.test(query))
    throw badRequest(`If-None-Exist must search ${type}, the type being created`)
  return criteria(type, new URLSearchParams(query))
}

/**
 * The id of the one current resource of `type` matching `query`: null for no match, 412 for more
 * than one (the spec's "multiple matches" outcome for conditional create, update, patch and delete).
 */
export async function matchOne(
  db: D1Database,
  type: string,
  query: URLSearchParams,
  access: SearchAccess
): Promise<string | null> {
  await authorizeCriteria(type, query, access)
  const ids = await findIds(db, type, query, 2)
  if (ids.length > 1) {
    throw preconditionFailed(
      `More than one ${type} matches ${query.toString()}: ` +
        'the conditional interaction needs criteria that select one resource'
    )
  }
  return ids[0] ?? null
}

/** Authorises the search that `query` is on `type`: the type itself and every type it traverses. */
export async function authorizeCriteria(
  type: string,
  query: URLSearchParams,
  access: SearchAccess
): Promise<void> {
  const { searched, reached } = typesRead(parseSearch(type, query))
  await access([...new Set([...searched, ...reached])])
}

// Every resource type a search reads or reveals, so each is authorised as a search of that type
// (docs/access-policies.md#what-a-request-is-authorised-as): the searched types, the types a chain
// or `_has` traverses (search.html#chaining, #has), the targets of `_include` and the sources of
// `_revinclude`, `:iterate` included (search.html#include). An `_include` without a target type
// may reveal any type its parameter can refer to: all of them are named. A refusal of any is a 403
// for the whole request, never a silently smaller answer.

import { RESOURCE_TYPES } from '../definitions/resource-types.generated.ts'
import type { Restrictions } from '../../policy/scope-check.ts'
import type { Filter, IncludeSpec, SearchRequest } from '../search/request.ts'

/**
 * Authorises searches of these types for the caller (403 / 401 when any is refused), by policy and
 * by the access token's scopes. A type the token may search only with a granular restriction is
 * refused unless `apply` asks for the restrictions, returned by type (empty: none restricted).
 */
export type SearchAccess = (types: readonly string[], restricted?: 'apply') => Promise<Restrictions>

/**
 * The types a search reads: `searched` (whose resources it matches) and `reached` (what chains,
 * `_has` and includes read or reveal beyond them; a searched type can be reached too, e.g.
 * `Patient?_revinclude=Patient:link` reveals Patients the criteria did not select).
 */
export function typesRead(request: SearchRequest): { searched: string[]; reached: string[] } {
  const reached = new Set<string>()
  for (const { filter } of request.filters) traversed(filter, reached)
  for (const spec of request.include) for (const t of includeTargets(spec)) reached.add(t)
  for (const spec of request.revinclude) reached.add(spec.source)
  return { searched: [...request.types], reached: [...reached] }
}

function traversed(filter: Filter, types: Set<string>): void {
  if (filter.kind === 'chain') {
    for (const hop of filter.hops) {
      types.add(hop.type)
      traversed(hop.inner, types)
    }
  } else if (filter.kind === 'has') {
    types.add(filter.type)
    traversed(filter.inner, types)
  } else if (filter.kind === 'anyOf') {
    for (const alternative of filter.alternatives) {
      for (const inner of alternative.all) traversed(inner, types)
    }
  }
}

/** The types an `_include` may bring in (parse-result.ts names them; undefined is any type). */
function includeTargets(spec: IncludeSpec): readonly string[] {
  return spec.targets ?? RESOURCE_TYPES
}

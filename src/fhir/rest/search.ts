// The search interactions (R4 search.html, http.html#search): type search (GET, or POST _search with
// form fields), compartment search (/Patient/1/Observation, or /* for every type in the compartment)
// and system search (?_type=...). `Prefer: handling=strict` turns ignored parameters into a 400.
// Before a search runs, every type it reads beyond what its route was authorised as is authorised
// as a search of that type (search-access.ts): a type search's route covers its own type's
// criteria; a compartment or system search, and every chain, `_has` and include, are checked here.
// An access token needs `s` on every type read; where its scope for a type is granular, the
// restrictions go into the search (search/restrict.ts) and the engine applies them wherever it
// reads that type: matches, includes, chains and `_has`.

import type { Restrictions } from '../../policy/scope-check.ts'
import { badRequest, FhirError } from '../../errors/outcome.ts'
import { document, type FhirCall, type FhirResult } from '../call.ts'
import { RESOURCE_TYPES } from '../definitions/resource-types.generated.ts'
import { compartmentFilter } from '../search/compartment.ts'
import { parseSearch } from '../search/parse.ts'
import { restrictionFilters } from '../search/restrict.ts'
import type { SearchRequest } from '../search/request.ts'
import { runSearch } from '../search/run-search.ts'
import { searchsetBundle } from '../search/searchset.ts'
import { typesRead } from './search-access.ts'

/** A parsed search and the path its links are made on. */
interface PreparedSearch {
  request: SearchRequest
  path: string
}

/** The query with the fields of a form body after it (POST _search, search.html#search-post). */
async function withForm(call: FhirCall): Promise<URLSearchParams> {
  const query = new URLSearchParams(call.query)
  for (const [key, value] of (await call.body()) as URLSearchParams) query.append(key, value)
  return query
}

/** Type search: GET [base]/T?... (or the query given, for POST _search). */
export async function prepareType(call: FhirCall, query = call.query): Promise<PreparedSearch> {
  const type = call.params.type!
  const request = parseSearch(type, query, { base: call.base })
  // The route's guard authorised this type's search as requested; what else it reads is checked.
  const reached = await call.authorizeSearch(typesRead(request).reached, 'apply')
  const own = call.scopes?.restrictions(type, 's')
  restrict(call, request, own ? new Map([...reached, [type, own]]) : reached)
  return checked(call, { request, path: `/fhir/${type}` })
}

/** System search: GET [base]?_type=... (search.html#_type; every type when absent). */
export async function prepareSystem(call: FhirCall, query = call.query): Promise<PreparedSearch> {
  const typeParam = query.get('_type')
  // Every type at once: a token needs a `*` scope for it, and a refusal names that one.
  if (typeParam === null) call.scopes?.access('*', 's')
  const request = parseSearch(systemTypes(typeParam), query, {
    base: call.base,
    system: true,
  })
  await authorizeAll(call, request)
  return checked(call, { request, path: '/fhir' })
}

/** Compartment search: GET [base]/Patient/1/Observation, or /* for every type in the compartment. */
export async function prepareCompartment(call: FhirCall): Promise<PreparedSearch> {
  const { compartment, id, type } = call.params as { compartment: string; id: string; type: string }
  const { types, filter } = compartmentFilter(compartment, id, type)
  const request = parseSearch(types, call.query, { base: call.base })
  request.filters.unshift(filter)
  await authorizeAll(call, request)
  return checked(call, { request, path: `/fhir/${compartment}/${id}/${type}` })
}

/** Every searched and reached type, as searches of that type (the route named none of them). */
async function authorizeAll(call: FhirCall, request: SearchRequest): Promise<void> {
  const { searched, reached } = typesRead(request)
  restrict(
    call,
    request,
    await call.authorizeSearch([...new Set([...searched, ...reached])], 'apply')
  )
}

/** The granular scope restrictions of the types the search reads, as filters the engine applies. */
function restrict(call: FhirCall, request: SearchRequest, restrictions: Restrictions): void {
  if (restrictions.size) request.restrictions = restrictionFilters(restrictions, 's', call.base)
}

export const searchType = async (call: FhirCall, form = false) =>
  run(call, await prepareType(call, form ? await withForm(call) : call.query))

export const searchSystem = async (call: FhirCall, form = false) =>
  run(call, await prepareSystem(call, form ? await withForm(call) : call.query))

export const searchCompartment = async (call: FhirCall) => run(call, await prepareCompartment(call))

/** `Prefer: handling=strict` turns parameters that cannot be applied into a 400. */
function checked(call: FhirCall, search: PreparedSearch): PreparedSearch {
  const { ignored } = search.request
  if (ignored.length && /\bhandling\s*=\s*strict\b/i.test(call.header('prefer') ?? '')) {
    throw new FhirError(
      400,
      ignored.map(({ name, reason }) => ({
        severity: 'error' as const,
        code: 'not-supported' as const,
        diagnostics: `Search parameter ${name} cannot be applied: ${reason}`,
        expression: [name],
      }))
    )
  }
  return search
}

async function run(call: FhirCall, { request, path }: PreparedSearch): Promise<FhirResult> {
  const result = await runSearch(call.db, request)
  return document(searchsetBundle({ base: call.base, path, request, result }))
}

/** `_type=A,B` (search.html#_type); every type when absent. */
function systemTypes(raw: string | null): string[] {
  if (raw === null) return [...RESOURCE_TYPES]
  const types = [...new Set(raw.split(',').map((t) => t.trim()))]
  for (const type of types) {
    if (!RESOURCE_TYPES.includes(type)) {
      throw badRequest(`_type: ${JSON.stringify(type)} is not a resource type`, ['_type'])
    }
  }
  return types
}

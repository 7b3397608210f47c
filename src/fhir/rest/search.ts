// The search interactions (R4 search.html, http.html#search): type search (GET, or POST _search with
// form fields), compartment search (/Patient/1/Observation, or /* for every type in the compartment)
// and system search (?_type=...). `Prefer: handling=strict` turns ignored parameters into a 400.

import { badRequest, FhirError } from '../../errors/outcome.ts'
import { document, type FhirCall, type FhirResult } from '../call.ts'
import { RESOURCE_TYPES } from '../definitions/resource-types.generated.ts'
import { compartmentFilter } from '../search/compartment.ts'
import { parseSearch } from '../search/parse.ts'
import type { SearchRequest } from '../search/request.ts'
import { runSearch } from '../search/run-search.ts'
import { searchsetBundle } from '../search/searchset.ts'

/** The query with the fields of a form body after it (POST _search, search.html#search-post). */
async function parameters(call: FhirCall, form: boolean): Promise<URLSearchParams> {
  const query = new URLSearchParams(call.query)
  if (form) for (const [key, value] of (await call.body()) as URLSearchParams) query.append(key, value)
  return query
}

export async function searchType(call: FhirCall, form = false): Promise<FhirResult> {
  const type = call.params.type!
  const request = parseSearch(type, await parameters(call, form), { base: call.base })
  return search(call, request, `/fhir/${type}`)
}

export async function searchSystem(call: FhirCall, form = false): Promise<FhirResult> {
  const query = await parameters(call, form)
  const request = parseSearch(systemTypes(query.get('_type')), query, { base: call.base, system: true })
  return search(call, request, '/fhir')
}

export async function searchCompartment(call: FhirCall): Promise<FhirResult> {
  const { compartment, id, type } = call.params as { compartment: string; id: string; type: string }
  const { types, filter } = compartmentFilter(compartment, id, type)
  const request = parseSearch(types, call.query, { base: call.base })
  request.filters.unshift(filter)
  return search(call, request, `/fhir/${compartment}/${id}/${type}`)
}

async function search(call: FhirCall, request: SearchRequest, path: string): Promise<FhirResult> {
  if (request.ignored.length && /\bhandling\s*=\s*strict\b/i.test(call.header('prefer') ?? '')) {
    throw new FhirError(
      400,
      request.ignored.map(({ name, reason }) => ({
        severity: 'error' as const,
        code: 'not-supported' as const,
        diagnostics: `Search parameter ${name} cannot be applied: ${reason}`,
        expression: [name],
      }))
    )
  }
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

// FHIR search routes mounted at /fhir after the REST routes (R4 search.html, http.html#search): type
// search (GET, and POST .../_search with a form body), compartment search (GET /fhir/Patient/1/Observation,
// or /* for every type in the compartment) and system search (GET /fhir?_type=...). All authorise as
// FhirSearch. `Prefer: handling=strict` turns ignored parameters into a 400.

import { Hono, type Context } from 'hono'
import type { AppEnv } from '../http/env.ts'
import { guard } from '../policy/authorize.ts'
import { fhirJson } from '../http/media.ts'
import { baseUrl } from '../http/base-url.ts'
import { FhirError, badRequest, tooLarge, unsupportedMediaType } from '../errors/outcome.ts'
import { checkFhirId, checkType } from './resource-input.ts'
import { RESOURCE_TYPES } from './definitions/resource-types.generated.ts'
import { compartmentFilter } from './search/compartment.ts'
import { parseSearch } from './search/parse.ts'
import type { SearchRequest } from './search/request.ts'
import { runSearch } from './search/run-search.ts'
import { searchsetBundle } from './search/searchset.ts'

export const searchRoutes = new Hono<AppEnv>()

/** Largest form body of POST _search (a URL is capped at 16 KB; a form body may be longer). */
const MAX_FORM_BYTES = 64 * 1024

searchRoutes.get('/', guard('FhirSearch'), async (c) => {
  const query = new URL(c.req.url).searchParams
  const types = systemTypes(query.get('_type'))
  const request = parseSearch(types, query, { base: baseUrl(c), system: true })
  return search(c, request, '/fhir')
})

searchRoutes.get('/:type', guard('FhirSearch'), async (c) => {
  const type = c.req.param('type')
  checkType(type)
  const request = parseSearch(type, new URL(c.req.url).searchParams, { base: baseUrl(c) })
  return search(c, request, `/fhir/${type}`)
})

searchRoutes.post('/:type/_search', guard('FhirSearch'), async (c) => {
  const type = c.req.param('type')
  checkType(type)
  const query = new URL(c.req.url).searchParams
  for (const [key, value] of await formBody(c)) query.append(key, value)
  const request = parseSearch(type, query, { base: baseUrl(c) })
  return search(c, request, `/fhir/${type}`)
})

searchRoutes.get('/:compartment/:id/:type', guard('FhirSearch'), async (c) => {
  const { compartment, id, type } = c.req.param()
  checkType(compartment)
  checkFhirId(id)
  if (type !== '*') checkType(type)
  const { types, filter } = compartmentFilter(compartment, id, type)
  const request = parseSearch(types, new URL(c.req.url).searchParams, { base: baseUrl(c) })
  request.filters.unshift(filter)
  return search(c, request, `/fhir/${compartment}/${id}/${type}`)
})

async function search(c: Context<AppEnv>, request: SearchRequest, path: string): Promise<Response> {
  if (request.ignored.length && /\bhandling\s*=\s*strict\b/i.test(c.req.header('prefer') ?? '')) {
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
  const result = await runSearch(c.env.DB, request)
  return fhirJson(c, undefined, 200, {}, searchsetBundle({ base: baseUrl(c), path, request, result }))
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

/** The parameters of an application/x-www-form-urlencoded body (search.html#search-post). */
async function formBody(c: Context<AppEnv>): Promise<URLSearchParams> {
  const contentType = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
  if (contentType !== 'application/x-www-form-urlencoded') {
    throw unsupportedMediaType('POST _search takes an application/x-www-form-urlencoded body')
  }
  const declared = Number(c.req.header('content-length') ?? NaN)
  const tooBig = () => tooLarge(`The search form exceeds ${MAX_FORM_BYTES} bytes`)
  if (declared > MAX_FORM_BYTES) throw tooBig()
  const text = await c.req.text()
  if (new TextEncoder().encode(text).byteLength > MAX_FORM_BYTES) throw tooBig()
  return new URLSearchParams(text)
}

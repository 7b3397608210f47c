// FHIR search routes mounted at /fhir (R4 search.html): type-level search.

import { Hono, type Context } from 'hono'
import type { AppEnv } from '../env.ts'
import { guard } from '../policy/authorize.ts'
import { fhirJson } from './media.ts'
import { baseUrl } from './base-url.ts'
import { checkType } from './resource-input.ts'
import { parseSearch } from './search/parse.ts'
import { runSearch } from './search/sql.ts'
import { searchsetBundle } from './bundle.ts'

export const searchRoutes = new Hono<AppEnv>()

searchRoutes.get('/:type', guard('FhirSearch'), async (c) => {
  const type = c.req.param('type')
  checkType(type)
  const request = parseSearch(type, new URL(c.req.url).searchParams)
  const { rows, more } = await runSearch(c.env.DB, request)
  return fhirText(c, searchsetBundle(baseUrl(c), request, rows, more))
})

function fhirText(c: Context<AppEnv>, json: string): Response {
  return fhirJson(c, undefined, 200, {}, json)
}

// The FHIR REST sub-app mounted at /fhir (R4 http.html): capabilities, read, vread, create, update,
// patch, delete (each also conditional), history at three levels, and batch/transaction Bundles.
// Mounted before the search routes, so its static segments (metadata, _history) win. Each route is
// guarded by its Aidbox operation id; handlers stay thin and call the interaction modules.

import { Hono, type Context, type MiddlewareHandler } from 'hono'
import type { AppEnv } from '../http/env.ts'
import { authentication } from '../auth/authenticate.ts'
import { guard } from '../policy/authorize.ts'
import { readJsonObject } from '../http/body.ts'
import { readResourceText } from './storage/resources.ts'
import { readVersion } from './storage/history.ts'
import { fhirJson, negotiation } from '../http/media.ts'
import { baseUrl } from '../http/base-url.ts'
import { FhirError, gone, notFound, operationOutcome } from '../errors/outcome.ts'
import { checkFhirId, checkType } from './resource-input.ts'
import { searchRoutes } from './search-routes.ts'
import { capabilityStatement } from './rest/capability.ts'
import { parseHistoryQuery, readHistory, historyBundle, type HistoryScope } from './rest/history.ts'
import * as rest from './rest/interactions.ts'
import { readPatchBody } from './rest/patch-body.ts'
import { preferReturn } from './rest/prefer.ts'
import { restResponse, type RestResult } from './rest/result.ts'
import { notModified, versionHeaders } from './rest/versioning.ts'
import { MAX_BUNDLE_BYTES, parseBundle } from './bundle-processing/entries.ts'
import { runBatch } from './bundle-processing/batch.ts'
import { runTransaction } from './bundle-processing/transaction.ts'
import type { Dispatch } from './bundle-processing/dispatch.ts'

export const fhirRoutes = new Hono<AppEnv>()

const prefer = (c: Context<AppEnv>) => preferReturn(c.req.header('prefer'))
const respond = (c: Context<AppEnv>, result: RestResult) => restResponse(c, result, prefer(c))
const query = (c: Context<AppEnv>) => new URL(c.req.url).searchParams
const ifMatch = (c: Context<AppEnv>) => ({ ifMatch: c.req.header('if-match') })

function target(c: Context<AppEnv>): { type: string; id: string } {
  const { type, id } = c.req.param() as { type: string; id: string }
  checkType(type)
  checkFhirId(id)
  return { type, id }
}

function typeParam(c: Context<AppEnv>): string {
  const type = c.req.param('type')!
  checkType(type)
  return type
}

// Public, like every FHIR server's: clients read it before they authenticate.
fhirRoutes.get('/metadata', (c) => fhirJson(c, undefined, 200, {}, capabilityStatement(baseUrl(c))))

fhirRoutes.get('/_history', guard('FhirSystemHistory'), (c) => history(c, {}))

// The Bundle's larger cap must be the one its body is read with, also when a policy reads it first.
const readBundleBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  await readJsonObject(c, MAX_BUNDLE_BYTES).catch(() => undefined)
  await next()
}

// POST [base] (and [base]/, as clients such as fhir-kit-client send it).
fhirRoutes.on('POST', ['/', '/:slash{^$}'], readBundleBody, guard('FhirTransaction'), async (c) => {
  const bundle = parseBundle(await readJsonObject(c, MAX_BUNDLE_BYTES), baseUrl(c))
  const run = bundle.type === 'transaction' ? runTransaction : runBatch
  const entries = await run(c, bundle.entries, prefer(c), entryDispatch(c))
  const response: Record<string, unknown> = { resourceType: 'Bundle', type: `${bundle.type}-response` }
  if (entries.length) response.entry = entries
  return fhirJson(c, response)
})

fhirRoutes.get('/:type/_history', guard('FhirTypeHistory'), (c) => history(c, { type: typeParam(c) }))

fhirRoutes.get('/:type/:id/_history', guard('FhirHistory'), (c) => history(c, target(c)))

fhirRoutes.get('/:type/:id/_history/:vid', guard('FhirVRead'), async (c) => {
  const { type, id } = target(c)
  const vid = c.req.param('vid')
  checkFhirId(vid)
  const version = /^[1-9]\d{0,14}$/.test(vid) ? await readVersion(c.env.DB, type, id, Number(vid)) : null
  if (version === undefined) throw notFound(`Resource ${type}/${id} not found`)
  if (version === null) throw notFound(`Version ${vid} of ${type}/${id} not found`)
  if (version.body === null) throw gone(`Version ${vid} of ${type}/${id} is its deletion`)
  return fhirJson(c, undefined, 200, versionHeaders(version), version.body)
})

fhirRoutes.get('/:type/:id', guard('FhirRead'), async (c) => {
  const { type, id } = target(c)
  const row = await readResourceText(c.env.DB, type, id)
  if (!row) throw notFound(`Resource ${type}/${id} not found`)
  if (row.deleted) throw gone(`Resource ${type}/${id} was deleted`)
  const conditions = {
    ifNoneMatch: c.req.header('if-none-match'),
    ifModifiedSince: c.req.header('if-modified-since'),
  }
  if (notModified(conditions, row)) return new Response(null, { status: 304, headers: versionHeaders(row) })
  return fhirJson(c, undefined, 200, versionHeaders(row), row.text)
})

fhirRoutes.post('/:type', guard('FhirCreate'), async (c) => {
  const type = typeParam(c)
  const body = await readJsonObject(c)
  return respond(c, await rest.create(c.env.DB, type, body, c.req.header('if-none-exist')))
})

fhirRoutes.put('/:type/:id', guard('FhirUpdate'), async (c) => {
  const { type, id } = target(c)
  const body = await readJsonObject(c)
  return respond(c, await rest.update(c.env.DB, type, id, body, ifMatch(c)))
})

fhirRoutes.put('/:type', guard('FhirConditionalUpdate'), async (c) => {
  const type = typeParam(c)
  const body = await readJsonObject(c)
  return respond(c, await rest.conditionalUpdate(c.env.DB, type, query(c), body, ifMatch(c)))
})

fhirRoutes.patch('/:type/:id', guard('FhirPatch'), async (c) => {
  const { type, id } = target(c)
  const operations = await readPatchBody(c)
  return respond(c, await rest.patch(c.env.DB, type, id, operations, ifMatch(c)))
})

fhirRoutes.patch('/:type', guard('FhirConditionalPatch'), async (c) => {
  const type = typeParam(c)
  const operations = await readPatchBody(c)
  return respond(c, await rest.conditionalPatch(c.env.DB, type, query(c), operations, ifMatch(c)))
})

fhirRoutes.delete('/:type/:id', guard('FhirDelete'), async (c) => {
  const { type, id } = target(c)
  return respond(c, await rest.remove(c.env.DB, type, id, ifMatch(c)))
})

fhirRoutes.delete('/:type', guard('FhirConditionalDelete'), async (c) => {
  const type = typeParam(c)
  return respond(c, await rest.conditionalDelete(c.env.DB, type, query(c), ifMatch(c)))
})

async function history(c: Context<AppEnv>, scope: HistoryScope): Promise<Response> {
  const request = parseHistoryQuery(query(c))
  const { rows, more } = await readHistory(c.env.DB, scope, request.filter)
  return fhirJson(c, undefined, 200, {}, historyBundle(baseUrl(c), scope, request, rows, more))
}

// GET entries of a Bundle go through these same routes (and the search routes), as sub-requests
// with the caller's credentials; built on first use, when both route tables are complete.
let entryApp: Hono<AppEnv> | undefined

function entryDispatch(c: Context<AppEnv>): Dispatch {
  entryApp ??= new Hono<AppEnv>()
    .use('*', authentication())
    .use('/fhir/*', negotiation())
    .route('/fhir', fhirRoutes)
    .route('/fhir', searchRoutes)
    .notFound((c) => {
      const diagnostics = `No route for ${c.req.method} ${new URL(c.req.url).pathname}`
      return fhirJson(c, operationOutcome({ severity: 'error', code: 'not-found', diagnostics }), 404)
    })
    .onError((err, c) => {
      if (err instanceof FhirError) return fhirJson(c, err.outcome, err.status as 500, err.headers)
      throw err
    })
  const app = entryApp
  let executionCtx: Context<AppEnv>['executionCtx'] | undefined
  try {
    executionCtx = c.executionCtx
  } catch {
    // no execution context (e.g. app.request in tests)
  }
  return async (request) => app.fetch(request, c.env, executionCtx)
}

// The FHIR API's routes, generated from the interaction table (interactions.ts) and mounted at /fhir
// by app.ts: each row becomes a route with its declared body and its guard (its operation for
// AccessPolicies, its SMART letter for access tokens), and a handler that
// builds the FhirCall from the HTTP request, checks the route params, runs the row's handler, and
// turns its FhirResult into the HTTP response (version headers, Location, the body Prefer asks for).

import type { Context } from 'hono'
import type { AppEnv } from '../http/env.ts'
import { baseUrl } from '../http/base-url.ts'
import { bodyOf } from '../http/declared-body.ts'
import { fhirJson } from '../http/media.ts'
import { authorizeRequest } from '../policy/authorize.ts'
import type { RequestParts } from '../policy/request.ts'
import type { RouteSpec } from '../policy/route-table.ts'
import { tokenScopes, type Restrictions, type TokenScopes } from '../policy/scope-check.ts'
import type { CallHeader, FhirCall, FhirInteraction, FhirResult } from './call.ts'
import type { SearchAccess } from './rest/search-access.ts'
import { FHIR_INTERACTIONS } from './interactions.ts'
import { checkParams } from './resource-input.ts'
import { preferReturn } from './rest/prefer.ts'
import { restResponse, returnFor } from './rest/result.ts'
import { versionHeaders } from './rest/versioning.ts'

/** The operation a type search is authorised as; what a request reads is authorised as it. */
const SEARCH = FHIR_INTERACTIONS.find((row) => row.name === 'search-type')!.operation!

/** A search of `type` as a policy sees it: `GET [base]/<type>` without parameters. */
function searchOf(type: string): RequestParts {
  return {
    method: 'GET',
    path: `/fhir/${type}`,
    query: new URLSearchParams(),
    routeParams: { type },
    body: undefined,
  }
}

/** The interaction table as routes relative to /fhir. */
export const fhirRoutes: readonly RouteSpec[] = FHIR_INTERACTIONS.map((row) => ({
  method: row.method,
  path: row.path,
  operation: row.operation,
  smart: row.smart,
  granular: row.granular,
  checksWrites: row.checksWrites,
  body: row.body,
  handler: async (c) => {
    const call = httpCall(c, row)
    return httpResponse(c, await row.handler(call), call.scopes)
  },
}))

/**
 * Authorises searches of types for this request's caller: first the access token's `s` scopes (pure),
 * then policies, each type once: the derived request of a type is always the same (`GET
 * [base]/<type>` with this request's headers), so a Bundle whose entries, criteria and references
 * reach one type many times evaluates its policies once.
 */
function searchAccess(c: Context<AppEnv>, scopes: TokenScopes | undefined): SearchAccess {
  const allowed = new Set<string>()
  const none: Restrictions = new Map()
  return async (types, restricted) => {
    const restrictions = scopes?.searches(types, restricted) ?? none
    for (const type of types) {
      if (allowed.has(type)) continue
      await authorizeRequest(c, SEARCH, searchOf(type))
      allowed.add(type)
    }
    return restrictions
  }
}

function httpCall(c: Context<AppEnv>, row: FhirInteraction): FhirCall {
  const params = c.req.param() as Record<string, string>
  checkParams(params)
  const base = baseUrl(c)
  const scopes = tokenScopes(c.get('principal'), `${base}/fhir`)
  return {
    db: c.env.DB,
    log: c.get('log'),
    base,
    params,
    query: new URL(c.req.url).searchParams,
    body: () => (row.body ? bodyOf(c) : Promise.resolve(undefined)),
    header: (name: CallHeader) => c.req.header(name),
    authorize: (operation, parts) => authorizeRequest(c, operation, parts),
    authorizeSearch: searchAccess(c, scopes),
    scopes,
  }
}

function httpResponse(
  c: Context<AppEnv>,
  result: FhirResult,
  scopes: TokenScopes | undefined
): Response {
  switch (result.kind) {
    case 'write': {
      const prefer = returnFor(preferReturn(c.req.header('prefer')), scopes, result.result)
      return restResponse(c, result.result, prefer)
    }
    case 'resource':
      if (result.status === 304)
        return new Response(null, { status: 304, headers: versionHeaders(result.version) })
      return fhirJson(c, undefined, 200, versionHeaders(result.version), result.text)
    case 'document':
      return fhirJson(c, undefined, 200, {}, result.text)
  }
}

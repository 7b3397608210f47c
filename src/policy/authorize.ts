// Authorisation of every routed request against AccessPolicies (fail closed, docs/aidbox.md#authorisation).
// Candidates: global policies (no link), policies linked to the authenticated Client and to the User
// its bearer token acts for (docs/users.md), and policies linked to the request's Operation; an anonymous caller gets the
// global and Operation-linked ones only. The first that passes grants; none means 401 for an
// anonymous caller and 403 for an authenticated one. A policy that errors denies and is logged
// with its id (never with request data). The root client is allowed everything without policies.
// The request object is built only when a candidate other than `allow` must be evaluated, and
// once per HTTP request. A bearer token's scopes are checked first (scope-check.ts): both must allow.

import type { Context, MiddlewareHandler } from 'hono'
import type { AppEnv } from '../http/env.ts'
import { baseUrl } from '../http/base-url.ts'
import { FhirError, forbidden } from '../errors/outcome.ts'
import { unauthorized } from '../auth/challenges.ts'
import type { Principal } from '../config/principal.ts'
import { listPolicies } from '../config/store.ts'
import { EvaluationBudget, evaluatePolicy } from './engines/index.ts'
import { selectCandidates } from './candidates.ts'
import { partsOf, policyRequest, type PolicyRequest, type RequestParts } from './request.ts'
import { tokenScopes, type RouteScope } from './scope-check.ts'

export interface GuardOptions {
  /** Refuse anonymous callers (401) whatever the policies say. */
  authenticated?: boolean
  /** Route params the path fixes rather than captures (`{ type: 'Client' }` on /Client/:id). */
  fixedParams?: Readonly<Record<string, string>>
  /** What an access token needs for the route; absent: tokens are refused (403 insufficient_scope). */
  scope?: RouteScope
}

/**
 * Route middleware: the request may proceed only if a policy allows `operation` for the caller and,
 * for a bearer token, its scopes cover the route (before any policy is looked up).
 */
export function guard(operation: string, options: GuardOptions = {}): MiddlewareHandler<AppEnv> {
  return async function authorize(c, next) {
    const principal = c.get('principal')
    if (options.authenticated && principal.kind === 'anonymous') {
      throw unauthorized('Authentication required')
    }
    tokenScopes(principal, `${baseUrl(c)}/fhir`)?.route(
      options.scope ?? {},
      { ...c.req.param(), ...options.fixedParams },
      `${c.req.method} ${new URL(c.req.url).pathname}`
    )
    await authorizeRequest(c, operation, undefined, options.fixedParams)
    await next()
  }
}

/**
 * Throws 401/403 unless a policy allows `operation`. `parts` describes a sub-request (a Bundle
 * entry, built by src/fhir/bundle-processing/entries.ts): its method, path, query and body are
 * evaluated, not those of the enclosing HTTP request. Without `parts` the HTTP request itself is
 * evaluated, with `fixedParams` (from `guard`) added to its route params.
 */
export async function authorizeRequest(
  c: Context<AppEnv>,
  operation: string,
  parts?: RequestParts,
  fixedParams?: Readonly<Record<string, string>>
): Promise<void> {
  const principal = c.get('principal')
  if (principal.kind === 'root') return
  const candidates = selectCandidates(
    await listPolicies(c.env, c.get('log')),
    linkTargets(principal, operation),
    c.get('log')
  )
  let request: PolicyRequest | undefined
  // One budget for every candidate of this authorisation: many slow policies cost no more than one.
  const budget = new EvaluationBudget()
  for (const candidate of candidates) {
    if (candidate.compiled.engine === 'allow') return
    try {
      request ??= await requestObject(c, operation, parts, fixedParams)
      if (await evaluatePolicy(candidate.compiled, request, { db: c.env.DB, budget })) return
    } catch (err) {
      // An sql policy's query found the bearer token revoked (auth/token-guard.ts): not a policy
      // failure but the request's, answered 401 as any revoked token is.
      if (err instanceof FhirError && err.status === 401) throw err
      c.get('log').error('AccessPolicy failed; counted as deny', {
        policy: candidate.id,
        operation,
        error: describe(err),
      })
    }
  }
  if (principal.kind === 'anonymous') throw unauthorized('Authentication required')
  throw forbidden(`Access denied: no AccessPolicy allows ${operation} for this client`)
}

/** The link targets whose policies apply: the operation, and the caller's Client (and User). */
export function linkTargets(principal: Principal, operation: string): string[] {
  const targets = [`Operation/${operation}`]
  if (principal.kind === 'client') {
    targets.push(`Client/${principal.id}`)
    if (principal.user) targets.push(`User/${principal.user.id}`)
  }
  return targets
}

// The HTTP request's own object, per operation: built once however many times it is authorised.
const built = new WeakMap<Request, Map<string, Promise<PolicyRequest>>>()

function requestObject(
  c: Context<AppEnv>,
  operation: string,
  parts: RequestParts | undefined,
  fixedParams: Readonly<Record<string, string>> | undefined
): Promise<PolicyRequest> {
  if (parts) return Promise.resolve(policyRequest(c, operation, parts))
  let byOperation = built.get(c.req.raw)
  if (!byOperation) built.set(c.req.raw, (byOperation = new Map()))
  let request = byOperation.get(operation)
  if (!request) {
    request = partsOf(c).then((own) => {
      if (fixedParams) own.routeParams = { ...fixedParams, ...own.routeParams }
      return policyRequest(c, operation, own)
    })
    byOperation.set(operation, request)
  }
  return request
}

/** An error's name and message, cut short: enough to fix the policy, no room for request data. */
function describe(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
  return text.length > 300 ? `${text.slice(0, 300)}…` : text
}

// Authorisation of every routed request against AccessPolicies (fail closed, aidbox.md §2.2).
// Candidates: global policies (no link), policies linked to the authenticated Client, and policies
// linked to the request's Operation. The first that passes grants; none means 401 for an anonymous
// caller and 403 for an authenticated one. A policy that errors is logged with its id and denies.
// The root client (Worker secrets) is allowed everything without evaluating policies.

import type { Context, MiddlewareHandler } from 'hono'
import type { AppEnv } from '../env.ts'
import { forbidden } from '../fhir/outcome.ts'
import { unauthorized, type Principal } from '../auth/authenticate.ts'
import { listPolicies, type StoredPolicy } from '../auth/store.ts'
import { compilePolicy, evaluatePolicy, type CompiledPolicy } from './engines/index.ts'
import { linkTarget } from './links.ts'
import { partsOf, policyRequest, type PolicyRequest, type RequestParts } from './request.ts'

/** Route middleware: the request may proceed only if a policy allows `operation` for the caller. */
export function guard(operation: string): MiddlewareHandler<AppEnv> {
  return async function authorize(c, next) {
    await authorizeRequest(c, operation)
    await next()
  }
}

/**
 * Throws 401/403 unless a policy allows `operation`. `parts` describes a sub-request (a Bundle entry);
 * without it the HTTP request itself is evaluated.
 */
export async function authorizeRequest(
  c: Context<AppEnv>,
  operation: string,
  parts?: RequestParts
): Promise<void> {
  const principal = c.get('principal')
  if (principal.kind === 'root') return
  const candidates = selectCandidates(await listPolicies(c.env), principal, operation)
  let request: PolicyRequest | undefined
  for (const policy of candidates) {
    const compiled = compiledPolicy(policy)
    if (!compiled) continue
    if (compiled.engine === 'allow') return
    try {
      request ??= policyRequest(c, operation, parts ?? (await partsOf(c)))
      if (await evaluatePolicy(compiled, request, { db: c.env.DB })) return
    } catch (err) {
      console.error(
        JSON.stringify({ msg: 'AccessPolicy failed; counted as deny', policy: policy.id, error: String(err) })
      )
    }
  }
  if (principal.kind === 'anonymous') throw unauthorized('Authentication required')
  throw forbidden(`Access denied: no AccessPolicy allows ${operation} for this client`)
}

export function selectCandidates(
  policies: readonly StoredPolicy[],
  principal: Principal,
  operation: string
): StoredPolicy[] {
  const targets = new Set([`Operation/${operation}`])
  if (principal.kind === 'client') targets.add(`Client/${principal.id}`)
  return policies.filter((policy) => {
    const links = Array.isArray(policy.link) ? policy.link : []
    if (links.length === 0) return true
    return links.some((link) => {
      const resolved = linkTarget(link)
      return 'target' in resolved && targets.has(resolved.target)
    })
  })
}

// Compiled once per stored policy object (the store replaces the object when the policy changes).
const compiled = new WeakMap<StoredPolicy, CompiledPolicy | null>()

function compiledPolicy(policy: StoredPolicy): CompiledPolicy | null {
  if (compiled.has(policy)) return compiled.get(policy)!
  let result: CompiledPolicy | null
  try {
    result = compilePolicy(policy)
  } catch (err) {
    console.error(JSON.stringify({ msg: 'AccessPolicy does not compile; it denies', policy: policy.id, error: String(err) }))
    result = null
  }
  compiled.set(policy, result)
  return result
}

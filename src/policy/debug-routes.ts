// Aidbox's policy debugging endpoints (aidbox.md §2.5, §2.6), mounted at / by app.ts:
// POST /$matcho ({matcho, resource, context} -> the input and `result`, the list of mismatches) and
// POST /auth/test-policy ({request, policy} -> normalised request, operation, policy, result).
// Admins only: the root client, or an authenticated client that a policy allows for operation
// `DebugMatcho` / `DebugTestPolicy`. Anonymous callers get 401 whatever the policies say, because
// test-policy runs sql policies (read-only queries over all resources) on the caller's behalf.

import { Hono } from 'hono'
import type { AppEnv } from '../http/env.ts'
import { readJsonObject } from '../http/body.ts'
import { fhirJson } from '../http/media.ts'
import { badRequest } from '../errors/outcome.ts'
import { adminRoutes } from '../admin/routes.ts'
import { invalidPolicy } from '../admin/access-policies.ts'
import { fhirRoutes } from '../fhir/routes.ts'
import { searchRoutes } from '../fhir/search-routes.ts'
import { guard } from './authorize.ts'
import { PolicyValidationError } from './engines/index.ts'
import { explainMatch } from './engines/matcho-explain.ts'
import { operationResolver } from './operations.ts'
import { testPolicy } from './test-policy.ts'

export const policyDebugRoutes = new Hono<AppEnv>()

// Mirrors the mount order in app.ts (earlier routers win).
const resolveOperation = operationResolver(() => [
  ['/', adminRoutes],
  ['/', policyDebugRoutes],
  ['/fhir', fhirRoutes],
  ['/fhir', searchRoutes],
])

policyDebugRoutes.post('/$matcho', guard('DebugMatcho', { authenticated: true }), async (c) => {
  const input = await readJsonObject(c)
  if (!('matcho' in input)) throw badRequest('matcho (the pattern) is required', ['matcho'])
  let result
  try {
    // Without a context, `.path` references resolve against the resource itself.
    result = explainMatch(input.matcho, input.resource, input.context ?? input.resource)
  } catch (err) {
    if (err instanceof PolicyValidationError) throw invalidPolicy(err)
    throw err
  }
  return fhirJson(c, { ...input, result })
})

policyDebugRoutes.post(
  '/auth/test-policy',
  guard('DebugTestPolicy', { authenticated: true }),
  async (c) => fhirJson(c, await testPolicy(c.env, await readJsonObject(c), resolveOperation))
)

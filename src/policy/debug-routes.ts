// Aidbox's policy debugging endpoints (docs/aidbox.md#debug-endpoints), as a route table mounted
// at / by app.ts: POST /$matcho ({matcho, resource, context} -> the input and `result`, the list
// of mismatches) and POST /auth/test-policy ({request, policy} -> normalised request, operation, policy, result).
// Admins only: the root client, or an authenticated client that a policy allows for operation
// `DebugMatcho` / `DebugTestPolicy`. Anonymous callers get 401 whatever the policies say, because
// test-policy runs sql policies (read-only queries over all resources) on the caller's behalf.
// test-policy resolves the simulated request's route with the app's own route tables (`resolve`).

import { badRequest } from '../errors/outcome.ts'
import { jsonBodyOf } from '../http/declared-body.ts'
import { fhirJson } from '../http/media.ts'
import { PolicyValidationError } from './engines/index.ts'
import { explainMatch } from './engines/matcho-explain.ts'
import { invalidPolicy } from './invalid-policy.ts'
import type { OperationResolver, RouteSpec } from './route-table.ts'
import { testPolicy } from './test-policy.ts'

export function debugRoutes(resolve: OperationResolver): RouteSpec[] {
  return [
    {
      method: 'POST',
      path: '/$matcho',
      operation: 'DebugMatcho',
      authenticated: true,
      body: 'json',
      handler: async (c) => {
        const input = await jsonBodyOf(c)
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
      },
    },
    {
      method: 'POST',
      path: '/auth/test-policy',
      operation: 'DebugTestPolicy',
      authenticated: true,
      body: 'json',
      handler: async (c) =>
        fhirJson(c, await testPolicy(c.env, await jsonBodyOf(c), resolve, c.get('log'))),
    },
  ]
}

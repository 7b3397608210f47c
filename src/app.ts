// Builds the Hono app: the public health check, the token service (src/oauth/, before authentication:
// it authenticates its callers itself, in OAuth's terms, and answers in OAuth's vocabulary),
// authentication of every other request, the route tables (admin API, policy debugging, the FHIR API
// at /fhir) mounted in one order, and the one place errors become responses.

import { Hono, type Context } from 'hono'
import type { AppEnv } from './http/env.ts'
import { corsFor } from './http/cors.ts'
import { authentication } from './auth/authenticate.ts'
import { adminRoutes } from './admin/routes.ts'
import { debugRoutes } from './policy/debug-routes.ts'
import { mountRoutes, operationResolver, type Mount } from './policy/route-table.ts'
import { fhirRoutes } from './fhir/routes.ts'
import { oauthRoutes } from './oauth/routes.ts'
import { findPatients, patientById } from './fhir/patient-directory.ts'
import { fhirJson, negotiation } from './http/media.ts'
import { APP_ROUTER } from './http/route-matcher.ts'
import { requestIdentity } from './http/request-id.ts'
import { FhirError, operationOutcome } from './errors/outcome.ts'

const FHIR_CORS = {
  origin: '*',
  allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
  allowHeaders: [
    'authorization',
    'content-type',
    'accept',
    'if-match',
    'if-none-match',
    'if-none-exist',
    'if-modified-since',
    'prefer',
    'x-request-id',
  ],
  exposeHeaders: [
    'location',
    'content-location',
    'etag',
    'last-modified',
    'www-authenticate',
    'x-request-id',
  ],
  maxAge: 600,
}

/** Every guarded route, in matching order (earlier routes win); test-policy resolves through it. */
const mounts: readonly Mount[] = [
  { prefix: '', routes: adminRoutes },
  { prefix: '', routes: debugRoutes(operationResolver(() => mounts)) },
  { prefix: '/fhir', routes: fhirRoutes },
]

export function buildApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>({ router: new APP_ROUTER() })

  app.use('*', requestIdentity())
  // Public: registered before the authentication middleware, so it never runs for these.
  app.get('/health', (c) => c.json({ status: 'ok' }))
  // The token service: client_secret_basic is form-url-decoded Basic (RFC 6749 §2.3.1), not the API's
  // RFC 7617 Basic, so its requests never reach the authentication middleware. Discovery is public.
  app.route('/', oauthRoutes({ find: findPatients, get: patientById }))

  // Browser apps call the FHIR API from their own origin with a bearer token (SMART App Launch
  // "CORS"); no cookies are involved, so any origin may. Preflights are answered before authentication.
  app.use('/fhir/*', corsFor(FHIR_CORS))
  app.use('*', authentication())
  app.use('/fhir/*', negotiation())
  mountRoutes(app, mounts)

  app.notFound((c) =>
    fhirJson(
      c,
      operationOutcome({
        severity: 'error',
        code: 'not-found',
        diagnostics: `No route for ${c.req.method} ${new URL(c.req.url).pathname}`,
      }),
      404
    )
  )
  app.onError(errorResponse)
  return app
}

/** FhirError -> its OperationOutcome; anything else is logged and answered without internals. */
export function errorResponse(err: Error, c: Context<AppEnv>): Response {
  if (err instanceof FhirError) return fhirJson(c, err.outcome, err.status as 500, err.headers)
  const reference = crypto.randomUUID()
  c.get('log').error('unhandled error', { reference, error: String(err), stack: err.stack })
  return fhirJson(
    c,
    operationOutcome({
      severity: 'fatal',
      code: 'exception',
      diagnostics: `Internal server error (reference ${reference})`,
    }),
    500
  )
}

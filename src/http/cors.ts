// CORS for the endpoints browser apps call from their own origin (SMART App Launch 2 "CORS": the
// token endpoint and the FHIR API; discovery sets its header itself). Hono's cors middleware, but only
// a real preflight (OPTIONS with Origin and Access-Control-Request-Method, Fetch §3.2.2) is answered
// by it; any other OPTIONS request goes on to authentication like every request.

import type { MiddlewareHandler } from 'hono'
import { cors } from 'hono/cors'
import type { AppEnv } from './env.ts'

type CorsOptions = Parameters<typeof cors>[0]

export function corsFor(options: CorsOptions): MiddlewareHandler<AppEnv> {
  const handler = cors(options)
  return (c, next) => {
    const preflight =
      c.req.header('origin') !== undefined &&
      c.req.header('access-control-request-method') !== undefined
    if (c.req.method === 'OPTIONS' && !preflight) return next()
    return handler(c, next)
  }
}

// The first middleware of every request: its id (a well-formed incoming X-Request-Id, else a new
// UUID) and the log that carries it, and the headers every response gets: X-Request-Id,
// `Cache-Control: no-store` (responses may hold patient data and carry ETag and Last-Modified, which
// invite caching) and `X-Content-Type-Options: nosniff`.

import type { MiddlewareHandler } from 'hono'
import { requestLog } from '../lib/log.ts'
import type { AppEnv } from './env.ts'

/** What an incoming X-Request-Id may be to be echoed (anything else is replaced, never logged). */
const WELL_FORMED = /^[A-Za-z0-9._:-]{8,128}$/

const RESPONSE_HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' }

export function requestIdentity(): MiddlewareHandler<AppEnv> {
  return async function identifyRequest(c, next) {
    const incoming = c.req.header('x-request-id')
    const id = incoming && WELL_FORMED.test(incoming) ? incoming : crypto.randomUUID()
    c.set('log', requestLog(id))
    await next()
    const headers = { 'x-request-id': id, ...RESPONSE_HEADERS }
    try {
      for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value)
    } catch {
      // Immutable headers (a response passed through as it came): copy it.
      const res = new Response(c.res.body, c.res)
      for (const [name, value] of Object.entries(headers)) res.headers.set(name, value)
      c.res = res
    }
  }
}

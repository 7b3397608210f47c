// The answers of the token service: JSON with `Cache-Control: no-store` and `Pragma: no-cache` on
// every one, errors and 405s included (RFC 6749 §5.1, SMART App Launch "token response"), and the one
// place errors become answers (the oauth sub-app's onError): an OAuthError as RFC 6749 §5.2 JSON,
// anything else logged with a reference and answered as a bare `server_error`.

import type { Context } from 'hono'
import type { AppEnv } from '../http/env.ts'
import { OAuthError } from './errors.ts'

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' }

export function oauthJson(body: unknown, status = 200, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...NO_STORE, ...headers },
  })
}

/** 200 with no body (RFC 7009 §2.2: the revocation answer's content is ignored). */
export function emptyOk(): Response {
  return new Response(null, { status: 200, headers: NO_STORE })
}

/** 405 with Allow (RFC 9110 §15.5.6) for a method the endpoint does not take. */
export function methodNotAllowed(c: Context<AppEnv>, allow: readonly string[]): Response {
  return oauthJson(
    {
      error: 'invalid_request',
      error_description: `${c.req.method} is not allowed here; use ${allow.join(' or ')}`,
    },
    405,
    { allow: allow.join(', ') }
  )
}

/** The sub-app's onError: OAuthError -> its JSON; anything else -> logged, 500 server_error. */
export function oauthError(err: Error, c: Context<AppEnv>): Response {
  if (err instanceof OAuthError) {
    return oauthJson(
      { error: err.code, error_description: err.description },
      err.status,
      err.headers
    )
  }
  const reference = crypto.randomUUID()
  c.get('log').error('unhandled error', { reference, error: String(err), stack: err.stack })
  return oauthJson(
    { error: 'server_error', error_description: `Internal server error (reference ${reference})` },
    500
  )
}

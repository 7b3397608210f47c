// The audit trail of the token service: one structured JSON log line per request to its POST
// endpoints (a token issued or refused, a token revoked or not, an introspection), through the
// request's log, so it carries the request id. It names the client id (as sent, shortened), the
// authentication method, the outcome and, for a refusal, the error code and the internal reason.
// Never a secret, an assertion or a token: a token is named by its jti (its record id, not itself).

import type { Context } from 'hono'
import type { AuthMethod } from '../config/client-oauth.ts'
import type { AppEnv } from '../http/env.ts'
import { OAuthError } from './errors.ts'

export type AuditEvent = 'token' | 'introspect' | 'revoke'

export interface Audit {
  /** The client id the request claims (and its method, once known). */
  client(id: string | undefined, method?: AuthMethod): void
  /** The line for a request that succeeded. */
  done(outcome: string, fields?: Record<string, unknown>): void
}

/** How much of a claimed client id is logged (ids are at most 64 characters; anything may be sent). */
const MAX_LOGGED_ID = 80

/** Runs an endpoint's work with its audit trail: the line for its outcome, or for its refusal. */
export async function audited(
  c: Context<AppEnv>,
  event: AuditEvent,
  run: (audit: Audit) => Promise<Response>
): Promise<Response> {
  const log = c.get('log')
  let who: Record<string, unknown> = {}
  let written = false
  const write = (outcome: string, fields: Record<string, unknown>) => {
    if (written) return
    written = true
    log.info(`oauth ${event} ${outcome}`, { event: `oauth.${event}`, outcome, ...who, ...fields })
  }
  const audit: Audit = {
    client(id, method) {
      who = {
        client_id: id === undefined ? undefined : id.slice(0, MAX_LOGGED_ID),
        auth_method: method,
      }
    },
    done: (outcome, fields = {}) => write(outcome, fields),
  }
  try {
    return await run(audit)
  } catch (err) {
    write('refused', refusal(err))
    throw err
  }
}

function refusal(err: unknown): Record<string, unknown> {
  if (err instanceof OAuthError) {
    return { error: err.code, status: err.status, reason: err.detail ?? err.description }
  }
  return { error: 'server_error', status: 500, reason: 'internal error (logged separately)' }
}

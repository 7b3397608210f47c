// The 401, 400 and 429 answers of authentication on the API, with the challenge each carries (RFC 7235
// §4.1): Basic for client credentials (RFC 7617), Bearer for access tokens (RFC 6750 §3); and the 403
// of a token whose scopes do not cover the request (RFC 6750 §3.1 insufficient_scope).

import { FhirError, tooManyRequests } from '../errors/outcome.ts'

const REALM = 'edge-fhir'

export function unauthorized(diagnostics: string): FhirError {
  return new FhirError(
    401,
    { severity: 'error', code: 'login', diagnostics },
    { 'WWW-Authenticate': `Basic realm="${REALM}", charset="UTF-8"` }
  )
}

/** RFC 6750 §3.1: a token that is expired, revoked, malformed or not ours. */
export function invalidToken(): FhirError {
  return new FhirError(
    401,
    { severity: 'error', code: 'login', diagnostics: 'Invalid or expired access token' },
    {
      'WWW-Authenticate': `Bearer realm="${REALM}", error="invalid_token", error_description="The access token is invalid, expired or revoked"`,
    }
  )
}

/** RFC 6750 §3.1: `Authorization: Bearer` without a well-formed token. */
export function malformedBearer(): FhirError {
  return new FhirError(
    400,
    { severity: 'error', code: 'invalid', diagnostics: 'Malformed Bearer credentials' },
    { 'WWW-Authenticate': `Bearer realm="${REALM}", error="invalid_request"` }
  )
}

/**
 * RFC 6750 §3.1: a live token whose scopes do not cover the request. `scope` names what would (none
 * when no scope can, as for the admin API). The diagnostics start with "Insufficient scope", so a
 * scope refusal is told apart from an AccessPolicy's ("Access denied: ...").
 */
export function insufficientScope(diagnostics: string, scope?: string): FhirError {
  const needed = scope === undefined ? '' : `, scope="${scope.replace(/["\\]/g, '')}"`
  return new FhirError(
    403,
    { severity: 'error', code: 'forbidden', diagnostics: `Insufficient scope: ${diagnostics}` },
    { 'WWW-Authenticate': `Bearer realm="${REALM}", error="insufficient_scope"${needed}` }
  )
}

/** A limited authentication attempt (throttle.ts): 429 with Retry-After in seconds. */
export function tooManyAttempts(retryAfterSeconds: number): FhirError {
  return tooManyRequests(
    'Too many authentication attempts for this client id or from this address',
    retryAfterSeconds
  )
}

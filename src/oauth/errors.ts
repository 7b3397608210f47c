// The one error vocabulary of the token service: RFC 6749 §5.2 error codes with their statuses, a
// public description (in the JSON answer) kept apart from an internal detail (in the audit line only,
// never sent: it may say which check failed, and that must not tell a caller whether a client exists).
// Two codes come from elsewhere: `temporarily_unavailable` (RFC 6749 §4.1.2.1) for the limits on
// authentication attempts, answered 429 with Retry-After, and `server_error` for a misconfiguration.

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'temporarily_unavailable'
  | 'server_error'

/** The realm of the Basic challenge a 401 carries (the API's Basic challenge names the same one). */
const REALM = 'edge-fhir'

export class OAuthError extends Error {
  readonly code: OAuthErrorCode
  readonly status: number
  /** Public: the answer's error_description. */
  readonly description: string
  /** Internal: what exactly failed, for the audit line; never in the answer. */
  readonly detail: string | undefined
  readonly headers: Record<string, string>

  constructor(
    code: OAuthErrorCode,
    status: number,
    description: string,
    options: { detail?: string; headers?: Record<string, string> } = {}
  ) {
    super(`${code}: ${description}`)
    this.name = 'OAuthError'
    this.code = code
    this.status = status
    this.description = description
    this.detail = options.detail
    this.headers = options.headers ?? {}
  }
}

/** 400 invalid_request: a missing, repeated or malformed parameter, or more than one credential. */
export const invalidRequest = (description: string) =>
  new OAuthError('invalid_request', 400, description)

/**
 * 401 invalid_client with a Basic challenge (RFC 6749 §5.2; RFC 9110 §15.5.2 wants a challenge on
 * every 401). One description for every failure, so the answer never tells an unknown id, a wrong
 * secret, a bad assertion and an unusable Client apart; `detail` says which it was, in the log only.
 */
export const invalidClient = (detail: string) =>
  new OAuthError('invalid_client', 401, 'Client authentication failed', {
    detail,
    headers: { 'WWW-Authenticate': `Basic realm="${REALM}", charset="UTF-8"` },
  })

export const invalidScope = (description: string) =>
  new OAuthError('invalid_scope', 400, description)

/**
 * 400 invalid_grant (RFC 6749 §5.2): a code or refresh token that is unknown, expired, used, revoked,
 * another client's, or whose redirect_uri or PKCE verifier does not match. One description for all;
 * `detail` (the log only) says which.
 */
export const invalidGrant = (detail: string) =>
  new OAuthError(
    'invalid_grant',
    400,
    'The authorization code or refresh token is invalid, expired, revoked or was issued to another client',
    { detail }
  )

export const unauthorizedClient = (description: string) =>
  new OAuthError('unauthorized_client', 400, description)

export const unsupportedGrantType = (description: string) =>
  new OAuthError('unsupported_grant_type', 400, description)

/** 429: the client id or the address is over its limit of authentication attempts (throttle.ts). */
export const tooManyAttempts = (retryAfterSeconds: number) =>
  new OAuthError(
    'temporarily_unavailable',
    429,
    'Too many authentication attempts for this client id or from this address',
    { detail: 'rate limited', headers: { 'Retry-After': String(retryAfterSeconds) } }
  )

// Checking an authorization request (RFC 6749 §4.1.1, §4.1.2.1; RFC 7636 §4.3, §4.4.1; SMART App
// Launch 2 "authorization request"). The order matters: the client and its redirect URI first, because
// until both are known to be right nothing may be sent to the redirect URI (an error page instead);
// then everything else, whose errors go back to the app as an error redirect carrying `state`.
//   client_id      a known, active Client allowed the authorization_code grant
//   redirect_uri   exactly one of its registered redirect URIs (required, as SMART requires it)
//   state          required (SMART); echoed byte for byte
//   response_type  code
//   code_challenge_method S256 and code_challenge (43 base64url characters): PKCE is required; plain
//                  is refused
//   aud            this server's FHIR base (a trailing slash tolerated); SMART: no code otherwise
//   scope          required; what the app may not have is dropped, nothing left is invalid_scope
//   launch         an EHR launch value issued for this client, redeemed here (single use)
//   nonce          OpenID Connect, copied into the id_token
// A parameter sent twice is refused (RFC 6749 §3.1).

import type { StoredClient } from '../config/store.ts'
import { codeSettings } from '../config/client-oauth.ts'
import { splitScope } from '../config/scopes.ts'
import { getClient } from '../config/store.ts'
import { isId } from '../lib/ids.ts'
import type { Log } from '../lib/log.ts'
import { redeemLaunch } from '../auth/launches.ts'
import { offeredScopes } from './app-scope.ts'
import type { PendingRequest } from './pending-requests.ts'

/** RFC 6749 §4.1.2.1 error codes of an error redirect. */
export type AuthorizeErrorCode =
  | 'invalid_request'
  | 'unauthorized_client'
  | 'access_denied'
  | 'unsupported_response_type'
  | 'invalid_scope'
  | 'server_error'
  | 'temporarily_unavailable'

/** The outcome of checking a request: an error page, an error redirect, or a request to answer. */
export type CheckedRequest =
  | { kind: 'page'; status: number; title: string; message: string }
  | {
      kind: 'redirect'
      redirectUri: string
      state?: string
      error: AuthorizeErrorCode
      description: string
    }
  | { kind: 'ok'; request: PendingRequest; client: StoredClient }

const MAX_STATE = 2048
const MAX_NONCE = 512
/** A request is kept in D1 before anyone logs in: its size is bounded. */
const MAX_SCOPE = 2048
const CHALLENGE = /^[A-Za-z0-9_-]{43}$/

/**
 * Checks the parameters of an authorization request. `fhirBase` is what `aud` must name; a `launch`
 * value is redeemed (so a request that fails after that point has used it up, as a launch is single use).
 */
export async function checkAuthorizeRequest(
  env: Env,
  params: URLSearchParams,
  fhirBase: string,
  log: Log
): Promise<CheckedRequest> {
  const one = (name: string) => {
    const values = params.getAll(name)
    return values.length === 1 ? values[0] || undefined : values.length ? null : undefined
  }
  const page = (message: string, status = 400): CheckedRequest => ({
    kind: 'page',
    status,
    title: 'This app cannot sign you in',
    message,
  })

  const clientId = one('client_id')
  if (clientId === null) return page('The app sent client_id more than once.')
  const client = clientId && isId(clientId) ? await getClient(env, clientId, { log }) : null
  if (!client || client.active === false || !client.grant_types?.includes('authorization_code')) {
    return page('The app is not registered here, or may not sign people in. Tell its developer.')
  }
  const redirectUri = one('redirect_uri')
  if (redirectUri === null) return page('The app sent redirect_uri more than once.')
  if (!redirectUri || !codeSettings(client).redirectUris.includes(redirectUri)) {
    return page('The app asked to send you back to an address it has not registered here.')
  }

  const state = one('state')
  const fail = (error: AuthorizeErrorCode, description: string): CheckedRequest => ({
    kind: 'redirect',
    redirectUri,
    ...(typeof state === 'string' && { state }),
    error,
    description,
  })
  const repeated = [...new Set(params.keys())].find((name) => params.getAll(name).length > 1)
  if (repeated) {
    const name = /^[\w.-]{1,40}$/.test(repeated) ? repeated : 'A parameter'
    return fail('invalid_request', `${name} is repeated`)
  }
  if (!state) return fail('invalid_request', 'state is required')
  if (state.length > MAX_STATE) return fail('invalid_request', 'state is too long')
  const responseType = one('response_type')
  if (!responseType) return fail('invalid_request', 'response_type is required')
  if (responseType !== 'code') {
    return fail('unsupported_response_type', 'Only response_type code is supported')
  }
  const method = one('code_challenge_method')
  const challenge = one('code_challenge')
  if (!challenge) return fail('invalid_request', 'code_challenge is required (PKCE)')
  if (method !== 'S256') {
    return fail('invalid_request', 'code_challenge_method must be S256 (plain is not supported)')
  }
  if (!CHALLENGE.test(challenge)) {
    return fail('invalid_request', 'code_challenge must be a base64url SHA-256 (43 characters)')
  }
  const aud = one('aud')
  if (!aud) return fail('invalid_request', 'aud is required')
  if (aud.replace(/\/+$/, '') !== fhirBase) {
    return fail('invalid_request', 'aud does not name this FHIR server')
  }
  const nonce = one('nonce')
  if (nonce && nonce.length > MAX_NONCE) return fail('invalid_request', 'nonce is too long')
  const scopeText = one('scope')
  if (!scopeText) return fail('invalid_scope', 'scope is required')
  if (scopeText.length > MAX_SCOPE) {
    return fail('invalid_scope', `scope is longer than ${MAX_SCOPE} characters`)
  }
  const requested = splitScope(scopeText)
  if (!requested) return fail('invalid_scope', 'scope is not a space-separated list of scopes')

  const launchValue = one('launch')
  const launch = launchValue
    ? await redeemLaunch(env.DB, launchValue, client.id, Math.floor(Date.now() / 1000))
    : undefined
  if (launch === null) {
    return fail('invalid_request', 'launch is unknown, expired, used, or for another app')
  }
  const scopes = offeredScopes(client, requested, {
    ehrLaunch: launch !== undefined,
    refreshTokens: codeSettings(client).refreshTokens,
  })
  if (!scopes.length) return fail('invalid_scope', 'None of the requested scopes can be granted')
  return {
    kind: 'ok',
    client,
    request: {
      clientId: client.id,
      redirectUri,
      state,
      scopes,
      codeChallenge: challenge,
      ...(nonce && { nonce }),
      ...(launch && { launch }),
    },
  }
}

/** `redirectUri` with `params` added to its query (RFC 6749 §4.1.2: keeping the query it has). */
export function redirectWith(
  redirectUri: string,
  params: Record<string, string | undefined>
): string {
  const url = new URL(redirectUri)
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined) url.searchParams.append(name, value)
  }
  return url.toString()
}

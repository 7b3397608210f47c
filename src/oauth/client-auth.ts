// Client authentication at the token service (RFC 6749 §2.3, RFC 7523 §2.2): exactly one of
// client_secret_basic (the Authorization header), client_secret_post (client_id and client_secret in
// the body) and private_key_jwt (client_assertion and client_assertion_type). More than one, an
// Authorization header that is not client_secret_basic, or a body client_id that differs from the
// one the credentials name, is invalid_request; no credentials, or credentials that do not
// authenticate, invalid_client. A client id over its limit of attempts, or an address over its own,
// gets 429 whatever it sends (throttle.ts).

import type { StoredClient } from '../config/store.ts'
import type { AuthMethod } from '../config/client-oauth.ts'
import { isId } from '../lib/ids.ts'
import type { Log } from '../lib/log.ts'
import { knownRefusal } from '../auth/throttle.ts'
import type { Audit } from './audit.ts'
import { parseClientSecretBasic } from './basic-credentials.ts'
import { assertedClientId, JWT_BEARER, verifyClientAssertion } from './client-assertion.ts'
import { verifyClientSecret } from './client-secret.ts'
import { invalidClient, invalidRequest, tooManyAttempts } from './errors.ts'
import type { Params } from './params.ts'

export interface ClientAuthRequest {
  params: Params
  /** The Authorization header, if any. */
  authorization: string | undefined
  /** The caller's address key (src/auth/address.ts). */
  address: string
  /** What a client assertion's `aud` may be: the token endpoint URL, and this endpoint's. */
  audiences: readonly string[]
  log: Log
  /** Learns the client id and method as soon as they are known. */
  audit: Audit
}

/** The authenticated Client and the method it used; else invalid_request, invalid_client or 429. */
export async function authenticateClient(
  env: Env,
  request: ClientAuthRequest
): Promise<{ client: StoredClient; method: AuthMethod }> {
  const { params, authorization } = request
  const secret = params.get('client_secret')
  const assertion = params.get('client_assertion')
  const assertionType = params.get('client_assertion_type')
  const bodyId = params.get('client_id')
  const used = [authorization !== undefined, secret !== undefined, assertion !== undefined]
  if (used.filter(Boolean).length > 1) {
    throw invalidRequest('Client authentication must use exactly one method')
  }
  if (assertionType !== undefined && assertion === undefined) {
    throw invalidRequest('client_assertion_type without client_assertion')
  }

  // The client id, the method, and the secret or assertion to check.
  let claimed: { id: string; method: AuthMethod; credential: string }
  if (authorization !== undefined) {
    const basic = parseClientSecretBasic(authorization)
    claimed = { id: basic.id, method: 'client_secret_basic', credential: basic.secret }
  } else if (secret !== undefined) {
    if (bodyId === undefined) throw invalidRequest('client_secret without client_id')
    claimed = { id: bodyId, method: 'client_secret_post', credential: secret }
  } else if (assertion !== undefined) {
    if (assertionType !== JWT_BEARER) {
      throw invalidRequest(`client_assertion_type must be ${JWT_BEARER}`)
    }
    const id = assertedClientId(assertion)
    claimed = { id, method: 'private_key_jwt', credential: assertion }
  } else {
    request.audit.client(bodyId)
    throw invalidClient('no client credentials')
  }
  const { id, method, credential } = claimed
  if (bodyId !== undefined && bodyId !== id) {
    throw invalidRequest('client_id differs from the client the credentials name')
  }
  request.audit.client(id, method)

  // Not an id any Client can have: no limit to spend, nothing to look up (as on the API).
  if (!isId(id)) throw invalidClient('malformed client id')
  const attempt = { id, address: request.address }
  const refused = knownRefusal(attempt)
  if (refused !== null) throw tooManyAttempts(refused)
  const client =
    method === 'private_key_jwt'
      ? await verifyClientAssertion(env, attempt, credential, request.audiences, request.log)
      : await verifyClientSecret(env, attempt, credential, method, request.log)
  return { client, method }
}

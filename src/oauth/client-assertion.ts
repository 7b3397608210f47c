// private_key_jwt client authentication (RFC 7523 §2.2 and §3, SMART Backend Services): a JWT the
// client signs with RS384 or ES384 using a key whose public part is in its registered `jwks`
// (inline; `jwks_uri` is not supported). `iss` and `sub` are the client id, `aud` the token endpoint
// URL or the issuer identifier (at introspection and revocation that endpoint's URL too), `exp` is required and at
// most 5 minutes ahead (`nbf` and `iat`, if any, not in the future), `jti` is required and is refused a second time until the assertion expires
// (kept in D1, strongly consistent, so a replay fails in every isolate). `alg: none`, HMAC algorithms
// (an HS256 "signed" with the public key included) and any other algorithm are refused by jose's
// allow-list. Every attempt spends a unit of the limits first (throttle.ts).

import {
  decodeJwt,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type CryptoKey,
  type JWTPayload,
  type ProtectedHeaderParameters,
} from 'jose'
import { getClient, type StoredClient } from '../config/store.ts'
import { ASSERTION_ALGS, clientJwks } from '../config/client-oauth.ts'
import type { Log } from '../lib/log.ts'
import { spend, type Attempt } from '../auth/throttle.ts'
import { rememberAssertion } from '../auth/token-store.ts'
import { assertionKeys } from './assertion-keys.ts'
import { invalidClient, invalidRequest, tooManyAttempts } from './errors.ts'
import { unusableBecause } from './usable-client.ts'

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

/** Longest an assertion may still be valid for, in seconds (SMART Backend Services). */
const MAX_ASSERTION_LIFETIME = 300
/** Seconds of clock difference tolerated on exp, nbf and iat. */
const CLOCK_TOLERANCE = 5
const MAX_JTI_LENGTH = 255

/**
 * The client id an assertion claims to come from (its `sub`), read without verifying it: who to
 * look up and whose limit to spend. invalid_request when it is not a JWT, invalid_client when it
 * names no client.
 */
export function assertedClientId(assertion: string): string {
  let payload: JWTPayload
  try {
    payload = decodeJwt(assertion)
  } catch {
    throw invalidRequest('client_assertion is not a JWT')
  }
  if (typeof payload.sub !== 'string' || payload.sub === '') {
    throw invalidClient('assertion without sub')
  }
  return payload.sub
}

/** The Client whose key signed `assertion` if it is valid for `audiences`; else invalid_client. */
export async function verifyClientAssertion(
  env: Env,
  attempt: Attempt,
  assertion: string,
  audiences: readonly string[],
  log: Log
): Promise<StoredClient> {
  const limited = await spend(env, attempt, log)
  if (limited !== null) throw tooManyAttempts(limited)
  const client = await getClient(env, attempt.id, { log })
  const unusable = client ? unusableBecause(env, client, 'private_key_jwt') : 'unknown client'
  let header: ProtectedHeaderParameters
  try {
    header = decodeProtectedHeader(assertion)
  } catch {
    throw invalidClient('assertion header malformed')
  }
  const { alg, kid } = header
  if (!ASSERTION_ALGS.includes(alg as never)) {
    throw invalidClient(`assertion alg ${String(alg).slice(0, 16)} not accepted`)
  }
  // Known or not, usable or not: the same signature check (against a key nobody holds when the
  // Client has none that fits), then the same answer.
  const keys = await assertionKeys(
    unusable ? undefined : clientJwks(client!)?.keys,
    alg as (typeof ASSERTION_ALGS)[number],
    typeof kid === 'string' ? kid : undefined
  )
  let payload: JWTPayload
  try {
    payload = await verifiedPayload(assertion, keys, attempt.id, audiences)
  } catch (err) {
    // jose's JOSEError code (and claim) say which check failed.
    const { code, claim } = err as { code?: unknown; claim?: unknown }
    const what = typeof code === 'string' ? [code, claim].filter(Boolean).join(' ') : String(err)
    throw invalidClient(unusable ?? `assertion refused: ${what}`)
  }
  if (unusable || !client) throw invalidClient(unusable ?? 'unknown client')
  const now = Math.floor(Date.now() / 1000)
  const exp = payload.exp!
  if (exp > now + MAX_ASSERTION_LIFETIME + CLOCK_TOLERANCE) {
    throw invalidClient('assertion exp more than 5 minutes ahead')
  }
  // jose checks iat only for an age limit; an assertion issued in the future is not one yet.
  if (payload.iat !== undefined && payload.iat > now + CLOCK_TOLERANCE) {
    throw invalidClient('assertion iat in the future')
  }
  const { jti } = payload
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) {
    throw invalidClient('assertion jti missing or malformed')
  }
  // Remembered for as long as it would be accepted: jose takes it until exp + the clock tolerance.
  if (!(await rememberAssertion(env.DB, attempt.id, jti, exp + CLOCK_TOLERANCE, now))) {
    throw invalidClient('assertion jti replayed')
  }
  return client
}

/** The claims of `assertion` checked with the first of `keys` whose signature matches. */
async function verifiedPayload(
  assertion: string,
  keys: readonly CryptoKey[],
  clientId: string,
  audiences: readonly string[]
): Promise<JWTPayload> {
  let failure: unknown
  for (const key of keys) {
    try {
      const { payload } = await jwtVerify(assertion, key, {
        algorithms: [...ASSERTION_ALGS],
        issuer: clientId,
        subject: clientId,
        audience: [...audiences],
        requiredClaims: ['exp', 'jti'],
        clockTolerance: CLOCK_TOLERANCE,
      })
      return payload
    } catch (err) {
      // Another key may be the one that signed it; any other failure is final.
      if (!(err instanceof errors.JWSSignatureVerificationFailed)) throw err
      failure = err
    }
  }
  throw failure
}

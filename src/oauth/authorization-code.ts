// The authorization_code grant at the token endpoint (RFC 6749 §4.1.3, RFC 7636 §4.6, SMART App
// Launch 2 "obtain access token"), for an authenticated Client allowed the grant
// (unauthorized_client otherwise). In order: the code must exist and be this client's (a code used
// before is refused AND every token issued from it is revoked, RFC 6749 §4.1.2), unexpired, and for
// an online_access grant its login session still open; the
// redirect_uri must be the one of the authorization request; the code_verifier must hash (SHA-256,
// base64url) to the code_challenge, compared in constant time over the digests; the User must still be
// active. Every failure is 400 invalid_grant (a missing parameter invalid_request). The code is marked
// used in the same batch that issues the tokens.

import type { StoredClient } from '../config/store.ts'
import { getUser } from '../config/store.ts'
import { digestsEqual, fromBase64Url, sha256 } from '../lib/crypto.ts'
import type { Log } from '../lib/log.ts'
import {
  isRandomValue,
  readCode,
  redeemCodeStatements,
  revokeGrant,
  secretHash,
} from '../auth/grant-store.ts'
import { isTokenGuardRefusal } from '../auth/token-store.ts'
import { invalidGrant, invalidRequest, unauthorizedClient } from './errors.ts'
import { issueGrantTokens } from './grant-tokens.ts'
import type { Params } from './params.ts'

/** RFC 7636 §4.1: 43 to 128 unreserved characters. */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/

/** Whether `verifier` is the PKCE verifier of `challenge` (S256), in constant time. */
async function pkceMatches(verifier: string, challenge: string): Promise<boolean> {
  const expected = fromBase64Url(challenge)
  if (!VERIFIER.test(verifier) || !expected) return false
  return digestsEqual(await sha256(verifier), expected)
}

export async function redeemCode(
  env: Env,
  client: StoredClient,
  params: Params,
  urls: { issuer: string; origin: string },
  log: Log
): Promise<{ body: Record<string, unknown>; jti: string }> {
  if (!client.grant_types?.includes('authorization_code')) {
    throw unauthorizedClient('The client may not use the authorization_code grant')
  }
  const code = params.get('code')
  if (code === undefined) throw invalidRequest('code is required')
  const redirectUri = params.get('redirect_uri')
  if (redirectUri === undefined) throw invalidRequest('redirect_uri is required')
  const now = Math.floor(Date.now() / 1000)
  const codeHash = isRandomValue(code) ? await secretHash(code) : undefined
  const record = codeHash ? await readCode(env.DB, codeHash) : null
  if (!codeHash || !record) throw invalidGrant('unknown code')
  // Another client's code is refused before anything else: it cannot revoke the owner's grant.
  if (record.clientId !== client.id) throw invalidGrant('code of another client')
  if (record.usedAt !== null) {
    await revokeGrant(env.DB, record.grantId, now)
    log.warn('authorization code used twice: its grant is revoked', { grant: record.grantId })
    throw invalidGrant('code used before (its tokens are revoked)')
  }
  if (record.expiresAt <= now) throw invalidGrant('code expired')
  if (redirectUri !== record.redirectUri) throw invalidGrant('redirect_uri does not match')
  const verifier = params.get('code_verifier')
  if (verifier === undefined || !(await pkceMatches(verifier, record.codeChallenge))) {
    throw invalidGrant('code_verifier does not match the code_challenge')
  }
  const user = await getUser(env, record.grant.user, { log })
  if (!user || user.active === false) throw invalidGrant('user inactive or gone')
  try {
    return await issueGrantTokens(env, client, {
      grantId: record.grantId,
      grant: record.grant,
      scope: record.grant.scope,
      ...urls,
      before: redeemCodeStatements(env.DB, codeHash, record.grant.session, now),
      withNonce: true,
    })
  } catch (err) {
    if (isTokenGuardRefusal(err)) throw invalidGrant('code used concurrently, or its session ended')
    throw err
  }
}

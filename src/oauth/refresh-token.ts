// The refresh_token grant (RFC 6749 §6, SMART App Launch 2 "refresh access token"), for an
// authenticated Client allowed it (unauthorized_client otherwise). The refresh token must be this
// client's, live (not revoked or expired; for online_access, its login session still open) and not
// used before: refresh tokens rotate, and a rotated one presented again revokes its whole grant
// (a stolen copy and the real one cannot both go on). The grant gives at most what the Client may
// still have (Client.scope narrowed since consent narrows it too). `scope` may repeat or narrow it (each
// scope granted, or a resource scope a granted one covers), wider is invalid_scope; the new refresh
// token keeps the grant's whole scope (RFC 6749 §6). The launch context comes back every time.

import type { StoredClient } from '../config/store.ts'
import { getUser } from '../config/store.ts'
import { splitScope } from '../config/scopes.ts'
import { codeSettings } from '../config/client-oauth.ts'
import type { Log } from '../lib/log.ts'
import {
  isRandomValue,
  readRefresh,
  revokeGrant,
  rotateRefreshStatements,
  secretHash,
} from '../auth/grant-store.ts'
import { isTokenGuardRefusal } from '../auth/token-store.ts'
import { offeredScopes, withinGrant } from './app-scope.ts'
import { invalidGrant, invalidRequest, invalidScope, unauthorizedClient } from './errors.ts'
import { issueGrantTokens } from './grant-tokens.ts'
import type { Params } from './params.ts'

export async function refreshGrant(
  env: Env,
  client: StoredClient,
  params: Params,
  urls: { issuer: string; origin: string },
  log: Log
): Promise<{ body: Record<string, unknown>; jti: string }> {
  const settings = codeSettings(client)
  if (!client.grant_types?.includes('refresh_token') || !settings.refreshTokens) {
    throw unauthorizedClient('The client may not use the refresh_token grant')
  }
  const token = params.get('refresh_token')
  if (token === undefined) throw invalidRequest('refresh_token is required')
  const now = Math.floor(Date.now() / 1000)
  const tokenHash = isRandomValue(token) ? await secretHash(token) : undefined
  const record = tokenHash ? await readRefresh(env.DB, tokenHash) : null
  if (!tokenHash || !record) throw invalidGrant('unknown refresh token')
  if (record.clientId !== client.id) throw invalidGrant('refresh token of another client')
  if (record.revokedAt !== null) throw invalidGrant('refresh token revoked')
  if (record.usedAt !== null) {
    await revokeGrant(env.DB, record.grantId, now)
    log.warn('rotated refresh token used again: its grant is revoked', { grant: record.grantId })
    throw invalidGrant('refresh token used before (its grant is revoked)')
  }
  if (record.expiresAt <= now) throw invalidGrant('refresh token expired')
  // What the grant still may give: its scopes the Client may still have (an admin may have narrowed
  // Client.scope since the person consented).
  const granted = offeredScopes(client, splitScope(record.grant.scope) ?? [], {
    ehrLaunch: true,
    refreshTokens: settings.refreshTokens,
  })
  if (!granted.length) throw invalidGrant('the client may no longer have any scope of the grant')
  let scope = granted.join(' ')
  const asked = params.get('scope')
  if (asked !== undefined) {
    const wanted = splitScope(asked)
    if (!wanted) throw invalidScope('scope is not a space-separated list of scopes')
    if (!withinGrant(granted, wanted)) {
      throw invalidScope('scope asks for more than the refresh token was granted')
    }
    scope = wanted.join(' ')
  }
  const user = await getUser(env, record.grant.user, { log })
  if (!user || user.active === false) throw invalidGrant('user inactive or gone')
  try {
    return await issueGrantTokens(env, client, {
      grantId: record.grantId,
      grant: { ...record.grant, scope: granted.join(' ') },
      scope,
      ...urls,
      before: rotateRefreshStatements(env.DB, tokenHash, now),
      withNonce: false,
    })
  } catch (err) {
    // Used concurrently, or its online_access session has ended.
    if (isTokenGuardRefusal(err)) throw invalidGrant('refresh token no longer usable')
    throw err
  }
}

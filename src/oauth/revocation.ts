// Token revocation (RFC 7009 §2.1): the authenticated Client revokes a token it was issued; the
// token stops working at once in every isolate, because the bearer guard reads D1 on every request
// (src/auth/token-guard.ts). Another Client's token, an unknown, expired or malformed one: nothing
// happens and the answer is the same 200. A token of an app's grant (an access token or a refresh
// token) revokes the whole grant: its refresh tokens and every access token issued from it (RFC 7009
// §2.1 allows it; a person taking an app's access away expects exactly that, and ONC g10 checks that
// a refresh fails afterwards). `token_type_hint` is accepted and not
// needed (a refresh token is tried when no access token matches).

import { checkAccessToken, isJwtForm } from '../auth/tokens.ts'
import { opaqueHash, revokeToken } from '../auth/token-store.ts'
import { isRandomValue, readRefresh, revokeGrant } from '../auth/grant-store.ts'

/** Revokes `token` if `clientId` was issued it and it is live; true when it was. */
export async function revoke(
  env: Env,
  clientId: string,
  token: string,
  issuer: string
): Promise<boolean> {
  const now = Math.floor(Date.now() / 1000)
  const revoked = async (key: { jti: string } | { tokenHash: string }) => {
    const done = await revokeToken(env.DB, clientId, key, now)
    if (done?.grantId) await revokeGrant(env.DB, done.grantId, now)
    return done !== undefined
  }
  if (isJwtForm(token)) {
    // Only a JWT we signed names a record (an expired one is already dead).
    const grant = await checkAccessToken(env, token, issuer)
    return grant !== null && revoked({ jti: grant.jti })
  }
  const tokenHash = await opaqueHash(token)
  if (await revoked({ tokenHash })) return true
  const refresh = isRandomValue(token) ? await readRefresh(env.DB, tokenHash) : null
  if (!refresh || refresh.clientId !== clientId || refresh.revokedAt !== null) return false
  await revokeGrant(env.DB, refresh.grantId, now)
  return true
}

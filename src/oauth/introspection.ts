// Token introspection (RFC 7662 §2.2, SMART App Launch "token introspection"): for a token that is
// live now (ours, well formed, unexpired, not revoked, its Client still active) the claims a resource
// server needs: active, scope, client_id, sub, exp, iat, iss, token_type, and for a token of the
// authorization code grant its launch context and `fhirUser` (SMART App Launch "token introspection":
// patient, encounter and fhirUser as the token response and id_token gave them). For anything else, only
// {"active": false}, whatever the reason, so the answer never says why. Any authenticated Client may
// introspect any token (the resource-server role); it learns nothing a holder of the token could not.

import { getClient } from '../config/store.ts'
import type { Log } from '../lib/log.ts'
import { checkAccessToken } from '../auth/tokens.ts'
import { liveToken } from '../auth/token-store.ts'

/** What introspection answers about `token` (`issuer`: this server's public base URL). */
export async function introspect(
  env: Env,
  token: string,
  issuer: string,
  log: Log
): Promise<Record<string, unknown>> {
  const inactive = { active: false }
  // A JWT is checked without D1 (signature, typ, issuer, audience, expiry); an opaque token by hash.
  const grant = await checkAccessToken(env, token, issuer)
  if (!grant) return inactive
  // Either way, revocation and expiry from D1 (strongly consistent), by the token's record id.
  const record = await liveToken(env.DB, { jti: grant.jti }, Math.floor(Date.now() / 1000))
  if (!record) return inactive
  // As on the API: a Client disabled or deleted since stops its tokens.
  const client = await getClient(env, record.clientId, { log })
  if (!client || client.active === false) return inactive
  return {
    active: true,
    scope: record.scope,
    client_id: record.clientId,
    sub: record.claims.sub,
    exp: record.expiresAt,
    iat: record.issuedAt,
    iss: record.claims.iss,
    token_type: 'Bearer',
    ...contextOf(record.claims),
  }
}

/** The SMART context claims a token carries (bare ids, and fhirUser as an absolute URL). */
function contextOf(claims: Record<string, unknown>): Record<string, string> {
  const context: Record<string, string> = {}
  for (const name of ['patient', 'encounter', 'fhirUser']) {
    if (typeof claims[name] === 'string') context[name] = claims[name]
  }
  return context
}

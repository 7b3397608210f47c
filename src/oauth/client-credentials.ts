// The client_credentials grant (RFC 6749 §4.4; SMART Backend Services): for an authenticated Client
// whose grant_types include `client_credentials` (unauthorized_client otherwise), an access token for
// the scope grant-scope.ts grants, in the Client's format (auth.client_credentials.token_format: a
// JWT, else opaque) and lifetime (auth.client_credentials.access_token_expiration, default 300 s,
// at most 3600 s), recorded in D1 by src/auth/tokens.ts. No refresh token.

import type { StoredClient } from '../config/store.ts'
import { tokenSettings } from '../config/client-oauth.ts'
import { issueAccessToken, SigningKeyMissing, type IssuedToken } from '../auth/tokens.ts'
import { OAuthError, unauthorizedClient } from './errors.ts'
import { grantScope } from './grant-scope.ts'

export interface Grant {
  token: IssuedToken
  scope: string
  format: 'jwt' | 'opaque'
}

/** Issues `client` an access token for `requestedScope` (the `scope` parameter, if sent). */
export async function clientCredentials(
  env: Env,
  client: StoredClient,
  requestedScope: string | undefined,
  issuer: string
): Promise<Grant> {
  if (!client.grant_types?.includes('client_credentials')) {
    throw unauthorizedClient('The client may not use the client_credentials grant')
  }
  const scope = grantScope(client, requestedScope)
  const { format, lifetime } = tokenSettings(client)
  try {
    const token = await issueAccessToken(env, {
      clientId: client.id,
      scope,
      format,
      lifetime,
      issuer,
    })
    return { token, scope, format }
  } catch (err) {
    if (!(err instanceof SigningKeyMissing)) throw err
    // A deployment without TOKEN_SIGNING_KEYS: the Client's format cannot be served (docs/oauth.md).
    throw new OAuthError('server_error', 500, 'JWT access tokens are not configured', {
      detail: err.message,
    })
  }
}

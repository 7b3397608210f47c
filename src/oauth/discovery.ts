// Discovery: the SMART configuration (SMART App Launch 2 conformance "metadata"; RFC 8414 field
// names) and the public JWK Set of the keys access tokens are signed with. Only what works is
// listed: the client_credentials grant, the three client authentication methods, system scopes,
// introspection and revocation. No authorization endpoint (issue 12), so no launch capabilities,
// response types or PKCE methods.

import { ASSERTION_ALGS, AUTH_METHODS } from '../config/client-oauth.ts'
import { oauthUrls } from '../http/oauth-urls.ts'
import { signingKeys } from '../auth/signing-keys.ts'

/** The SMART configuration document for `base` (the public base URL). */
export function smartConfiguration(base: string): Record<string, unknown> {
  const urls = oauthUrls(base)
  return {
    issuer: urls.issuer,
    jwks_uri: urls.jwks,
    token_endpoint: urls.token,
    token_endpoint_auth_methods_supported: AUTH_METHODS,
    token_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
    grant_types_supported: ['client_credentials'],
    scopes_supported: [
      'system/*.cruds',
      'system/*.rs',
      'system/*.read',
      'system/*.write',
      'system/*.*',
    ],
    introspection_endpoint: urls.introspect,
    introspection_endpoint_auth_methods_supported: AUTH_METHODS,
    revocation_endpoint: urls.revoke,
    revocation_endpoint_auth_methods_supported: AUTH_METHODS,
    capabilities: [
      'client-confidential-symmetric',
      'client-confidential-asymmetric',
      'permission-v1',
      'permission-v2',
    ],
  }
}

/** The public keys (with kid) tokens are signed with; none when TOKEN_SIGNING_KEYS is not set. */
export async function publicJwks(env: Env): Promise<{ keys: unknown[] }> {
  const keys = await signingKeys(env)
  return keys ? keys.jwks : { keys: [] }
}

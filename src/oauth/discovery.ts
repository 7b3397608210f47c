// Discovery: the SMART configuration (SMART App Launch 2 conformance "metadata"; RFC 8414 field
// names), the OpenID Connect provider configuration (OpenID Connect Discovery 1.0 §3, at
// `<issuer>/.well-known/openid-configuration`), the public JWK Set of the signing keys, and the SMART
// style document apps are pointed to (`smart_style_url`). Only what works is listed.

import { ASSERTION_ALGS, AUTH_METHODS } from '../config/client-oauth.ts'
import { oauthUrls } from '../http/oauth-urls.ts'
import { signingKeys } from '../auth/signing-keys.ts'

const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials']

const SCOPES = [
  'openid',
  'fhirUser',
  'launch',
  'launch/patient',
  'offline_access',
  'online_access',
  'patient/*.cruds',
  'patient/*.rs',
  'patient/*.read',
  'user/*.cruds',
  'user/*.rs',
  'user/*.read',
  'user/*.write',
  'system/*.cruds',
  'system/*.rs',
  'system/*.read',
  'system/*.write',
  'system/*.*',
]

/** The SMART capabilities this server has (SMART App Launch 2 "capabilities"). */
const CAPABILITIES = [
  'launch-standalone',
  'launch-ehr',
  'authorize-post',
  'client-confidential-symmetric',
  'client-confidential-asymmetric',
  'context-standalone-patient',
  'context-ehr-patient',
  'context-ehr-encounter',
  'context-banner',
  'context-style',
  'sso-openid-connect',
  'permission-offline',
  'permission-online',
  'permission-patient',
  'permission-user',
  'permission-v1',
  'permission-v2',
]

/** The SMART configuration document for `base` (the public base URL). */
export function smartConfiguration(base: string): Record<string, unknown> {
  const urls = oauthUrls(base)
  return {
    issuer: urls.issuer,
    jwks_uri: urls.jwks,
    authorization_endpoint: urls.authorize,
    token_endpoint: urls.token,
    token_endpoint_auth_methods_supported: AUTH_METHODS,
    token_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
    grant_types_supported: GRANT_TYPES,
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true,
    scopes_supported: SCOPES,
    introspection_endpoint: urls.introspect,
    introspection_endpoint_auth_methods_supported: AUTH_METHODS,
    revocation_endpoint: urls.revoke,
    revocation_endpoint_auth_methods_supported: AUTH_METHODS,
    management_endpoint: urls.management,
    capabilities: CAPABILITIES,
  }
}

/** The OpenID Connect provider configuration for `base`: its issuer is the id_tokens' `iss`. */
export function openidConfiguration(base: string): Record<string, unknown> {
  const urls = oauthUrls(base)
  return {
    issuer: urls.issuer,
    authorization_endpoint: urls.authorize,
    token_endpoint: urls.token,
    jwks_uri: urls.jwks,
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    scopes_supported: ['openid', 'fhirUser'],
    claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'fhirUser'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: AUTH_METHODS,
  }
}

/**
 * The style apps launched here may follow (SMART App Launch 2 "Styling"): change the document's URL
 * (src/oauth/routes.ts) when its content changes, so apps that cached it see the new one.
 */
export const SMART_STYLE = {
  color_background: '#f6f7f9',
  color_error: '#b00020',
  color_highlight: '#0b5cad',
  color_success: '#1a7f37',
  color_text: '#1b1f24',
  dim_border_radius: '6px',
  dim_font_size: '16px',
  dim_spacing_size: '16px',
  font_family_body: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  font_family_heading: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
}

/** The public keys (with kid) tokens are signed with; none when TOKEN_SIGNING_KEYS is not set. */
export async function publicJwks(env: Env): Promise<{ keys: unknown[] }> {
  const keys = await signingKeys(env)
  return keys ? keys.jwks : { keys: [] }
}

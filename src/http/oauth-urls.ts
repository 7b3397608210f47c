// The authorization server's absolute URLs, from the public base URL (base-url.ts): what the token
// service serves and what the discovery documents, the CapabilityStatement's oauth-uris extension,
// tokens and the audience of client assertions name. One builder, so they can never disagree. The
// issuer is the FHIR base (`<base>/fhir`): SMART App Launch wants the smart-configuration `issuer`,
// the OpenID Connect issuer (`<issuer>/.well-known/openid-configuration`) and `id_token.iss` equal.

export interface OAuthUrls {
  /** The issuer of access and id tokens, and the audience of access tokens: the FHIR base. */
  readonly issuer: string
  /** RFC 6749 §3.1 (SMART App Launch "authorize"). */
  readonly authorize: string
  /** RFC 6749 §3.2; also the audience of private_key_jwt client assertions (RFC 7523 §3). */
  readonly token: string
  /** RFC 7662. */
  readonly introspect: string
  /** RFC 7009. */
  readonly revoke: string
  /** The page where a person lists and revokes the apps they allowed (SMART management_endpoint). */
  readonly management: string
  /** The public keys access tokens are signed with (RFC 7517 JWK Set). */
  readonly jwks: string
}

/** The URLs under `base` (the public base URL, no trailing slash). */
export function oauthUrls(base: string): OAuthUrls {
  return {
    issuer: `${base}/fhir`,
    authorize: `${base}/auth/authorize`,
    token: `${base}/auth/token`,
    introspect: `${base}/auth/introspect`,
    revoke: `${base}/auth/revoke`,
    management: `${base}/auth/grants`,
    jwks: `${base}/.well-known/jwks.json`,
  }
}

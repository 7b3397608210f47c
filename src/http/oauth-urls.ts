// The token service's absolute URLs, from the public base URL (base-url.ts): what the token service
// serves and what the discovery document, the CapabilityStatement's oauth-uris extension and the
// audience of client assertions name. One builder, so they can never disagree.

export interface OAuthUrls {
  /** The issuer of access tokens: the base URL itself. */
  readonly issuer: string
  /** RFC 6749 §3.2; also the audience of private_key_jwt client assertions (RFC 7523 §3). */
  readonly token: string
  /** RFC 7662. */
  readonly introspect: string
  /** RFC 7009. */
  readonly revoke: string
  /** The public keys access tokens are signed with (RFC 7517 JWK Set). */
  readonly jwks: string
}

/** The URLs under `base` (the public base URL, no trailing slash). */
export function oauthUrls(base: string): OAuthUrls {
  return {
    issuer: base,
    token: `${base}/auth/token`,
    introspect: `${base}/auth/introspect`,
    revoke: `${base}/auth/revoke`,
    jwks: `${base}/.well-known/jwks.json`,
  }
}

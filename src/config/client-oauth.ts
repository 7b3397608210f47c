// The token-service fields of a Client (Aidbox's names, RFC 7591's for the auth method), read from a
// stored Client in one place: the token service (src/oauth/) reads them here and the admin API
// (src/admin/) validates writes against the same values. A value written into KV by hand that does
// not fit is read as absent (its default), never trusted.
//
//   scope                                     allowed scopes (a list; wildcards allowed)
//   jwks                                      {"keys": [...]}: public keys for private_key_jwt
//   token_endpoint_auth_method                client_secret_basic | client_secret_post | private_key_jwt
//   auth.client_credentials.token_format      "jwt", else opaque
//   auth.client_credentials.access_token_expiration   lifetime in seconds
//   first_party, smart.launch_uri             apps: skip consent; where an EHR launch opens the app
//   auth.authorization_code.{redirect_uri, refresh_token, token_format, access_token_expiration,
//     refresh_token_expiration}             apps (SMART App Launch)

import type { StoredClient } from './store.ts'

/** The client authentication methods the token service implements (RFC 7591 §2 names). */
export const AUTH_METHODS = [
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
] as const
export type AuthMethod = (typeof AUTH_METHODS)[number]

/** What a private_key_jwt client assertion may be signed with (SMART Backend Services). */
export const ASSERTION_ALGS = ['RS384', 'ES384'] as const

/** Token formats a Client may ask for. */
export const TOKEN_FORMATS = ['jwt', 'opaque'] as const
export type TokenFormat = (typeof TOKEN_FORMATS)[number]

/** Access token lifetime without `access_token_expiration`, in seconds (SMART recommends <= 300). */
const DEFAULT_TOKEN_LIFETIME = 300
/** Longest access token lifetime, in seconds: also how long a retired signing key must stay published. */
export const MAX_TOKEN_LIFETIME = 3600

/** The scope a Client may be granted when it lists none (every system resource scope). */
export const DEFAULT_CLIENT_SCOPE = 'system/*.*'

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** The Client's allowed scopes, or undefined when it lists none (a non-list counts as an empty one). */
export function clientScopes(client: StoredClient): readonly string[] | undefined {
  const { scope } = client
  if (scope === undefined) return undefined
  return Array.isArray(scope) ? scope.filter((s): s is string => typeof s === 'string') : []
}

/** The Client's registered public keys as a JWK Set, or undefined when it has none. */
export function clientJwks(client: StoredClient): { keys: Record<string, unknown>[] } | undefined {
  const { jwks } = client
  if (!isObject(jwks) || !Array.isArray(jwks.keys)) return undefined
  const keys = jwks.keys.filter(isObject)
  return keys.length ? { keys } : undefined
}

/** The format and lifetime (seconds) of the access tokens client_credentials issues the Client. */
export function tokenSettings(client: StoredClient): { format: TokenFormat; lifetime: number } {
  const settings = isObject(client.auth) ? client.auth.client_credentials : undefined
  const format = isObject(settings) && settings.token_format === 'jwt' ? 'jwt' : 'opaque'
  const expiration = isObject(settings) ? settings.access_token_expiration : undefined
  const lifetime = isLifetime(expiration) ? expiration : DEFAULT_TOKEN_LIFETIME
  return { format, lifetime }
}

/** A lifetime a Client may ask for: whole seconds from 1 to MAX_TOKEN_LIFETIME. */
export function isLifetime(value: unknown): value is number {
  return (
    Number.isInteger(value) && (value as number) >= 1 && (value as number) <= MAX_TOKEN_LIFETIME
  )
}

/** Scopes an app may be granted when its Client lists none (the person still consents). */
export const DEFAULT_APP_SCOPE = [
  'openid',
  'fhirUser',
  'launch',
  'launch/patient',
  'launch/encounter',
  'offline_access',
  'online_access',
  'patient/*.*',
  'user/*.*',
]

/** Refresh token lifetime without `refresh_token_expiration`: 30 days, in seconds. */
const DEFAULT_REFRESH_LIFETIME = 30 * 24 * 3600
/** Longest refresh token lifetime: one year. */
export const MAX_REFRESH_LIFETIME = 365 * 24 * 3600

/** The authorization code settings of an app's Client (SMART App Launch). */
export interface CodeSettings {
  redirectUris: readonly string[]
  /** Whether refresh tokens are issued (offline_access / online_access); needs grant_types refresh_token. */
  refreshTokens: boolean
  format: TokenFormat
  lifetime: number
  refreshLifetime: number
}

/** The Client's authorization code settings; a value that does not fit reads as its default. */
export function codeSettings(client: StoredClient): CodeSettings {
  const settings = isObject(client.auth) ? client.auth.authorization_code : undefined
  const get = (name: string) => (isObject(settings) ? settings[name] : undefined)
  const redirect = get('redirect_uri')
  const redirectUris = (Array.isArray(redirect) ? redirect : [redirect]).filter(
    (uri): uri is string => typeof uri === 'string' && isRedirectUri(uri)
  )
  const expiration = get('access_token_expiration')
  const refreshExpiration = get('refresh_token_expiration')
  return {
    redirectUris,
    refreshTokens:
      (client.grant_types?.includes('refresh_token') ?? false) && get('refresh_token') !== false,
    format: get('token_format') === 'jwt' ? 'jwt' : 'opaque',
    lifetime: isLifetime(expiration) ? expiration : DEFAULT_TOKEN_LIFETIME,
    refreshLifetime: isRefreshLifetime(refreshExpiration)
      ? refreshExpiration
      : DEFAULT_REFRESH_LIFETIME,
  }
}

/** A refresh token lifetime a Client may ask for: whole seconds from 60 to MAX_REFRESH_LIFETIME. */
export function isRefreshLifetime(value: unknown): value is number {
  return (
    Number.isInteger(value) && (value as number) >= 60 && (value as number) <= MAX_REFRESH_LIFETIME
  )
}

/** Whether the Client is first-party (consent is not asked: the organisation runs the app). */
export const isFirstParty = (client: StoredClient) => client.first_party === true

/** The app's launch URL for an EHR launch (`smart.launch_uri`), if registered and well formed. */
export function launchUri(client: StoredClient): string | undefined {
  const uri = isObject(client.smart) ? client.smart.launch_uri : undefined
  return typeof uri === 'string' && isRedirectUri(uri) ? uri : undefined
}

/**
 * A redirect (or launch) URI an app may register: absolute, no fragment, no credentials, https, or
 * http on a loopback address (RFC 8252 §7.3, §8.3: native apps and local development).
 */
export function isRedirectUri(text: string): boolean {
  if (text.length > 2000) return false
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return false
  }
  if (url.hash !== '' || text.includes('#') || url.username !== '' || url.password !== '') {
    return false
  }
  if (url.protocol === 'https:') return true
  return url.protocol === 'http:' && LOOPBACK.has(url.hostname)
}

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost'])

// Validation of the token-service fields of a Client on PUT /Client/:id (what each means:
// src/config/client-oauth.ts, docs/oauth.md "Registering a client"): `scope`, `jwks` (public keys
// only), `token_endpoint_auth_method` and `auth.client_credentials.{token_format,
// access_token_expiration}`, and the app fields of SMART App Launch: `first_party`, `smart.launch_uri`,
// `auth.authorization_code.{redirect_uri, refresh_token, token_format, access_token_expiration,
// refresh_token_expiration}` (https or loopback http URIs, RFC 8252). A malformed value is a 400 OperationOutcome naming the field, so what is
// stored is what the token service will read. `jwks_uri` is refused: only inline keys are supported.

import { importJWK, type JWK } from 'jose'
import { badRequest } from '../errors/outcome.ts'
import {
  ASSERTION_ALGS,
  AUTH_METHODS,
  isLifetime,
  isRedirectUri,
  isRefreshLifetime,
  MAX_REFRESH_LIFETIME,
  MAX_TOKEN_LIFETIME,
  TOKEN_FORMATS,
} from '../config/client-oauth.ts'
import { parseResourceScope, splitScope } from '../config/scopes.ts'
import type { StoredClient } from '../config/store.ts'

const MAX_SCOPES = 100
const MAX_KEYS = 10
const MIN_RSA_BITS = 2048
/** Private members of RSA and EC keys (RFC 7518 §6.2.2, §6.3.2), and a symmetric key's secret. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']
const ALG_OF_KTY: Record<string, (typeof ASSERTION_ALGS)[number]> = { RSA: 'RS384', EC: 'ES384' }

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** 400 unless the token-service fields of a Client body are well formed. */
export async function checkOAuthFields(body: Record<string, unknown>): Promise<void> {
  const { scope, jwks, jwks_uri, token_endpoint_auth_method, auth, first_party, smart } = body
  if (scope !== undefined) checkScopes(scope)
  if (jwks !== undefined) await checkJwks(jwks)
  if (jwks_uri !== undefined) {
    throw badRequest('jwks_uri is not supported: register the public keys inline in jwks', [
      'jwks_uri',
    ])
  }
  if (
    token_endpoint_auth_method !== undefined &&
    !(AUTH_METHODS as readonly unknown[]).includes(token_endpoint_auth_method)
  ) {
    throw badRequest(`token_endpoint_auth_method must be one of ${AUTH_METHODS.join(', ')}`, [
      'token_endpoint_auth_method',
    ])
  }
  if (auth !== undefined) checkAuth(auth)
  if (first_party !== undefined && typeof first_party !== 'boolean') {
    throw badRequest('first_party must be a boolean', ['first_party'])
  }
  if (smart !== undefined) checkSmart(smart)
}

const MAX_REDIRECT_URIS = 20
const URI_RULE =
  'an absolute https URI, or http on a loopback address (RFC 8252), without a fragment'

function checkSmart(smart: unknown): void {
  if (!isObject(smart)) throw badRequest('smart must be an object', ['smart'])
  const uri = smart.launch_uri
  if (uri !== undefined && (typeof uri !== 'string' || !isRedirectUri(uri))) {
    throw badRequest(`smart.launch_uri must be ${URI_RULE}`, ['smart.launch_uri'])
  }
}

function checkAuthorizationCode(settings: unknown): void {
  const at = (name: string) => `auth.authorization_code.${name}`
  if (!isObject(settings)) {
    throw badRequest('auth.authorization_code must be an object', ['auth.authorization_code'])
  }
  const { redirect_uri, refresh_token, token_format, access_token_expiration, pkce } = settings
  const uris = Array.isArray(redirect_uri) ? redirect_uri : [redirect_uri]
  if (
    redirect_uri !== undefined &&
    (uris.length === 0 ||
      uris.length > MAX_REDIRECT_URIS ||
      uris.some((uri) => typeof uri !== 'string' || !isRedirectUri(uri)))
  ) {
    throw badRequest(
      `${at('redirect_uri')} must be ${URI_RULE}, or a list of at most ${MAX_REDIRECT_URIS} of them`,
      [at('redirect_uri')]
    )
  }
  if (refresh_token !== undefined && typeof refresh_token !== 'boolean') {
    throw badRequest(`${at('refresh_token')} must be a boolean`, [at('refresh_token')])
  }
  // PKCE (S256) is required of every app (SMART App Launch 2); it cannot be turned off.
  if (pkce !== undefined && pkce !== true) {
    throw badRequest(`${at('pkce')} can only be true: PKCE is required of every app`, [at('pkce')])
  }
  if (token_format !== undefined && !(TOKEN_FORMATS as readonly unknown[]).includes(token_format)) {
    throw badRequest(`${at('token_format')} must be ${TOKEN_FORMATS.join(' or ')}`, [
      at('token_format'),
    ])
  }
  if (access_token_expiration !== undefined && !isLifetime(access_token_expiration)) {
    throw badRequest(
      `${at('access_token_expiration')} must be whole seconds from 1 to ${MAX_TOKEN_LIFETIME}`,
      [at('access_token_expiration')]
    )
  }
  const refreshLifetime = settings.refresh_token_expiration
  if (refreshLifetime !== undefined && !isRefreshLifetime(refreshLifetime)) {
    throw badRequest(
      `${at('refresh_token_expiration')} must be whole seconds from 60 to ${MAX_REFRESH_LIFETIME}`,
      [at('refresh_token_expiration')]
    )
  }
}

/** 400 unless the Client to store has the credential its registered method needs. */
export function checkAuthMethodCredential(client: StoredClient): void {
  const method = client.token_endpoint_auth_method
  if (method === 'private_key_jwt' && client.jwks === undefined) {
    throw badRequest('token_endpoint_auth_method private_key_jwt needs jwks', ['jwks'])
  }
  if (typeof method === 'string' && method.startsWith('client_secret_') && !client.secret) {
    throw badRequest(`token_endpoint_auth_method ${method} needs a secret`, ['secret'])
  }
  if (client.grant_types?.includes('authorization_code')) {
    // Confidential apps only (SMART client-confidential-symmetric or -asymmetric): a public client
    // could not authenticate at the token endpoint.
    if (!client.secret && client.jwks === undefined) {
      throw badRequest('An app with grant_types authorization_code needs a secret (or jwks)', [
        'secret',
      ])
    }
    const code = isObject(client.auth) ? client.auth.authorization_code : undefined
    if (!isObject(code) || code.redirect_uri === undefined) {
      throw badRequest(
        'An app with grant_types authorization_code needs auth.authorization_code.redirect_uri',
        ['auth.authorization_code.redirect_uri']
      )
    }
  }
}

function checkScopes(scope: unknown): void {
  if (!Array.isArray(scope) || scope.length > MAX_SCOPES) {
    throw badRequest(`scope must be an array of at most ${MAX_SCOPES} scopes`, ['scope'])
  }
  scope.forEach((entry, i) => {
    const path = [`scope[${i}]`]
    const tokens = typeof entry === 'string' ? splitScope(entry) : null
    if (tokens?.length !== 1 || tokens[0] !== entry) {
      throw badRequest(`scope[${i}] must be one scope (RFC 6749 §3.3 characters, no spaces)`, path)
    }
    if (/^(patient|user|system)\//.test(entry) && !parseResourceScope(entry)) {
      throw badRequest(
        `scope[${i}] ${JSON.stringify(entry)} is not a SMART resource scope ` +
          '(context/Type.letters, e.g. system/Observation.rs or system/*.read)',
        path
      )
    }
  })
}

async function checkJwks(jwks: unknown): Promise<void> {
  if (!isObject(jwks) || !Array.isArray(jwks.keys) || jwks.keys.length === 0) {
    throw badRequest('jwks must be a JWK Set: {"keys": [<public JWK>, ...]}', ['jwks'])
  }
  if (jwks.keys.length > MAX_KEYS) {
    throw badRequest(`jwks may hold at most ${MAX_KEYS} keys`, ['jwks.keys'])
  }
  for (const [i, key] of jwks.keys.entries()) await checkPublicKey(key, `jwks.keys[${i}]`)
}

async function checkPublicKey(key: unknown, path: string): Promise<void> {
  const fail = (why: string) => badRequest(`${path} ${why}`, [path])
  if (!isObject(key)) throw fail('must be a JWK object')
  const secret = PRIVATE_MEMBERS.find((member) => member in key)
  if (secret) throw fail(`holds the private member "${secret}": register public keys only`)
  const alg = typeof key.kty === 'string' ? ALG_OF_KTY[key.kty] : undefined
  if (!alg) throw fail('must be an RSA or EC key (kty "RSA" or "EC")')
  if (key.alg !== undefined && key.alg !== alg) {
    throw fail(`has alg ${JSON.stringify(key.alg)}; ${key.kty} keys must be ${alg}`)
  }
  if (key.kty === 'EC' && key.crv !== 'P-384') throw fail('must be on curve P-384 (ES384)')
  if (key.use !== undefined && key.use !== 'sig') throw fail('must have use "sig" if any')
  if (key.kid !== undefined && (typeof key.kid !== 'string' || key.kid === '')) {
    throw fail('must have a non-empty string kid if any')
  }
  let imported: CryptoKey
  try {
    imported = (await importJWK(key as JWK, alg)) as CryptoKey
  } catch {
    throw fail(`is not a usable ${alg} public key`)
  }
  const bits = (imported.algorithm as { modulusLength?: number }).modulusLength
  if (bits !== undefined && bits < MIN_RSA_BITS) {
    throw fail(`has a ${bits}-bit modulus; at least ${MIN_RSA_BITS} bits`)
  }
}

function checkAuth(auth: unknown): void {
  if (!isObject(auth)) throw badRequest('auth must be an object', ['auth'])
  if (auth.authorization_code !== undefined) checkAuthorizationCode(auth.authorization_code)
  const settings = auth.client_credentials
  if (settings === undefined) return
  if (!isObject(settings)) {
    throw badRequest('auth.client_credentials must be an object', ['auth.client_credentials'])
  }
  const { token_format, access_token_expiration } = settings
  if (token_format !== undefined && !(TOKEN_FORMATS as readonly unknown[]).includes(token_format)) {
    throw badRequest(
      `auth.client_credentials.token_format must be ${TOKEN_FORMATS.join(' or ')} (absent: opaque)`,
      ['auth.client_credentials.token_format']
    )
  }
  if (access_token_expiration !== undefined && !isLifetime(access_token_expiration)) {
    throw badRequest(
      `auth.client_credentials.access_token_expiration must be whole seconds from 1 to ${MAX_TOKEN_LIFETIME}`,
      ['auth.client_credentials.access_token_expiration']
    )
  }
}

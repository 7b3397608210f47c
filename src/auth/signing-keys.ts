// The keys this server signs its JWT access tokens with: the Worker secret TOKEN_SIGNING_KEYS, a JWK Set of
// RSA private keys (RS256), each with a `kid`. The first key signs; every key verifies and is published
// (public part only) at /.well-known/jwks.json, so a key can be rotated in without breaking tokens
// already issued (docs/oauth.md "Signing keys"). Keys are imported once per isolate.

import { importJWK, type CryptoKey, type JWK } from 'jose'

export const TOKEN_ALG = 'RS256'

export interface SigningKeys {
  /** The key new tokens are signed with. */
  readonly current: { kid: string; key: CryptoKey }
  /** Every key's public part by kid (tokens signed with any of them verify). */
  readonly byKid: ReadonlyMap<string, CryptoKey>
  /** The public JWK Set to publish. */
  readonly jwks: { keys: JWK[] }
}

/** The members of an RSA private JWK that are public (RFC 7518 §6.3.1). */
const PUBLIC_MEMBERS = ['kty', 'n', 'e', 'kid'] as const

let cached: { source: string; keys: Promise<SigningKeys> } | undefined

/**
 * The configured keys, or null when TOKEN_SIGNING_KEYS is not set (JWT tokens cannot be issued then;
 * opaque ones can). A value that is set but unusable is a configuration error and throws.
 */
export function signingKeys(env: Env): Promise<SigningKeys> | null {
  const source = env.TOKEN_SIGNING_KEYS
  if (!source) return null
  if (cached?.source !== source) cached = { source, keys: importKeys(source) }
  return cached!.keys
}

async function importKeys(source: string): Promise<SigningKeys> {
  let set: unknown
  try {
    set = JSON.parse(source)
  } catch {
    throw new Error('TOKEN_SIGNING_KEYS is not JSON (expected a JWK Set of RSA private keys)')
  }
  const keys = (set as { keys?: unknown })?.keys
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new Error('TOKEN_SIGNING_KEYS has no keys (expected {"keys": [<RSA private JWK>, ...]})')
  }
  const byKid = new Map<string, CryptoKey>()
  const published: JWK[] = []
  let current: SigningKeys['current'] | undefined
  for (const jwk of keys as JWK[]) {
    if (
      jwk?.kty !== 'RSA' ||
      typeof jwk.d !== 'string' ||
      typeof jwk.kid !== 'string' ||
      !jwk.kid
    ) {
      throw new Error('every TOKEN_SIGNING_KEYS key must be an RSA private JWK with a kid')
    }
    if (byKid.has(jwk.kid)) throw new Error(`TOKEN_SIGNING_KEYS repeats kid ${jwk.kid}`)
    const publicJwk: JWK = { alg: TOKEN_ALG, use: 'sig' }
    for (const member of PUBLIC_MEMBERS) publicJwk[member] = jwk[member] as string
    byKid.set(jwk.kid, (await importJWK(publicJwk, TOKEN_ALG)) as CryptoKey)
    published.push(publicJwk)
    current ??= {
      kid: jwk.kid,
      key: (await importJWK({ ...jwk, alg: TOKEN_ALG }, TOKEN_ALG)) as CryptoKey,
    }
  }
  return { current: current!, byKid, jwks: { keys: published } }
}

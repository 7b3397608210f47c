// Generates a key for TOKEN_SIGNING_KEYS (the RSA keys JWT access tokens are signed with): a JWK Set
// with one RS256 private key whose kid is its RFC 7638 thumbprint. `npm run keygen` prints one for
// `wrangler secret put TOKEN_SIGNING_KEYS`; `npm start` and the tests make their own with it.
// To rotate, put a set with the new key first and the old one after it (docs/oauth.md).

import { webcrypto } from 'node:crypto'
import { fileURLToPath } from 'node:url'

interface RsaJwk {
  kty: string
  n: string
  e: string
  [member: string]: unknown
}

export async function generateSigningKey(): Promise<RsaJwk> {
  const pair = await webcrypto.subtle.generateKey(
    {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    true,
    ['sign', 'verify']
  )
  const jwk = (await webcrypto.subtle.exportKey('jwk', pair.privateKey)) as RsaJwk
  // RFC 7638: SHA-256 of the required members in lexicographic order.
  const canonical = JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n })
  const digest = await webcrypto.subtle.digest('SHA-256', new TextEncoder().encode(canonical))
  const kid = Buffer.from(digest).toString('base64url')
  const { key_ops: _ops, ext: _ext, alg: _alg, ...key } = jwk
  return { ...key, kid, alg: 'RS256', use: 'sig' } as RsaJwk
}

/** A TOKEN_SIGNING_KEYS value: `{"keys":[...]}` with a new key first, then `previous` ones. */
export async function signingKeySet(previous: RsaJwk[] = []): Promise<string> {
  return JSON.stringify({ keys: [await generateSigningKey(), ...previous] })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(await signingKeySet())
}

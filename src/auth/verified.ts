// Per-isolate memory of verified secrets: client id -> the stamp of what it was verified against (the
// stored hash, or the root secret's digest) and a peppered SHA-256 of the secret that matched. A hit
// costs one SHA-256 instead of PBKDF2. The pepper is random per isolate and never leaves it.

import { digestsEqual, randomBytes, sha256, utf8 } from '../lib/crypto.ts'

const verified = new Map<string, { stamp: string; digest: Uint8Array; expires: number }>()
const MAX_VERIFIED = 10_000
let pepper: Uint8Array | undefined // made on first use: Workers forbid randomness at global scope

export async function pepperedDigest(secret: string): Promise<Uint8Array> {
  pepper ??= randomBytes(32)
  const text = utf8(secret)
  const input = new Uint8Array(pepper.byteLength + text.byteLength)
  input.set(pepper)
  input.set(text, pepper.byteLength)
  return sha256(input)
}

/**
 * The stamp `id` was verified against in this isolate with a secret whose digest is `digest`, within
 * the TTL; undefined when there is none. The caller checks that the stamp is still the subject's.
 */
export function verifiedStamp(id: string, digest: Uint8Array): string | undefined {
  const hit = verified.get(id)
  return hit && hit.expires > Date.now() && digestsEqual(hit.digest, digest) ? hit.stamp : undefined
}

export function rememberVerified(id: string, stamp: string, digest: Uint8Array, ttlMs: number) {
  if (verified.size >= MAX_VERIFIED) verified.delete(verified.keys().next().value!)
  verified.delete(id)
  verified.set(id, { stamp, digest, expires: Date.now() + ttlMs })
}

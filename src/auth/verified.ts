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

/** Whether this isolate verified `digest` for `id` against the same `stamp`, within the TTL. */
export function wasVerified(id: string, stamp: string, digest: Uint8Array): boolean {
  const hit = verified.get(id)
  return (
    hit !== undefined &&
    hit.stamp === stamp &&
    hit.expires > Date.now() &&
    digestsEqual(hit.digest, digest)
  )
}

export function rememberVerified(id: string, stamp: string, digest: Uint8Array, ttlMs: number) {
  if (verified.size >= MAX_VERIFIED) verified.delete(verified.keys().next().value!)
  verified.delete(id)
  verified.set(id, { stamp, digest, expires: Date.now() + ttlMs })
}

// Client secrets at rest: a self-describing PBKDF2-SHA256 hash, and its constant-time verification.
// Stored form: `pbkdf2-sha256$<iterations>$<salt base64url>$<32-byte key base64url>`; the prefix lets the
// algorithm evolve. Workers cap PBKDF2 at 100,000 iterations, which is what new hashes use.

import { digestsEqual, fromBase64Url, randomBytes, toBase64Url, utf8 } from './crypto.ts'

const SECRET_HASH_PREFIX = 'pbkdf2-sha256$'
const ITERATIONS = 100_000
const KEY_BYTES = 32
const HASH_FORM = /^pbkdf2-sha256\$([1-9][0-9]{3,5})\$([A-Za-z0-9_-]{22,})\$([A-Za-z0-9_-]{43})$/

export interface ParsedHash {
  iterations: number
  salt: Uint8Array
  key: Uint8Array
}

/** Parses the stored form; null when `value` is not a well-formed hash (e.g. a plain-text secret). */
export function parseSecretHash(value: string): ParsedHash | null {
  const match = HASH_FORM.exec(value)
  if (!match) return null
  const iterations = Number(match[1])
  const salt = fromBase64Url(match[2]!)
  const key = fromBase64Url(match[3]!)
  if (iterations > ITERATIONS || !salt || salt.byteLength < 16 || key?.byteLength !== KEY_BYTES)
    return null
  return { iterations, salt, key }
}

export function isSecretHash(value: string): boolean {
  return parseSecretHash(value) !== null
}

async function deriveKey(
  secret: string,
  salt: Uint8Array,
  iterations: number
): Promise<Uint8Array> {
  const material = await crypto.subtle.importKey('raw', utf8(secret), 'PBKDF2', false, [
    'deriveBits',
  ])
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt, iterations },
    material,
    KEY_BYTES * 8
  )
  return new Uint8Array(bits)
}

export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16)
  const key = await deriveKey(secret, salt, ITERATIONS)
  return `${SECRET_HASH_PREFIX}${ITERATIONS}$${toBase64Url(salt)}$${toBase64Url(key)}`
}

// A fixed, valid hash used when the client is unknown, so that the work done is the same as for a
// wrong secret (no timing signal tells which client ids exist).
const DUMMY: ParsedHash = {
  iterations: ITERATIONS,
  salt: new Uint8Array(16),
  key: new Uint8Array(KEY_BYTES),
}

/** Verifies `secret` against a parsed hash; with `null` it does the same work and answers false. */
export async function verifySecret(secret: string, hash: ParsedHash | null): Promise<boolean> {
  const target = hash ?? DUMMY
  const key = await deriveKey(secret, target.salt, target.iterations)
  return digestsEqual(key, target.key) && hash !== null
}

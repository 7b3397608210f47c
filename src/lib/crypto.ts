// Web Crypto primitives: SHA-256, constant-time comparison over fixed-length digests, base64url, randomness.
// Nothing here imports Node; every comparison of secret material in the project goes through these.

const encoder = new TextEncoder()

export function utf8(text: string): Uint8Array {
  return encoder.encode(text)
}

export async function sha256(data: string | Uint8Array): Promise<Uint8Array> {
  const bytes = typeof data === 'string' ? utf8(data) : data
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
}

/**
 * Constant-time equality of two byte strings of the same fixed length (digests, derived keys).
 * Uses `crypto.subtle.timingSafeEqual` (workerd); a length mismatch is a programming error here,
 * because callers only ever compare digests of one algorithm, so it answers false without comparing.
 */
export function digestsEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  const subtle = crypto.subtle as typeof crypto.subtle & {
    timingSafeEqual?: (x: ArrayBufferView, y: ArrayBufferView) => boolean
  }
  if (subtle.timingSafeEqual) return subtle.timingSafeEqual(a, b)
  // Fallback for Node (scripts only): XOR-accumulate without early exit.
  let diff = 0
  for (let i = 0; i < a.byteLength; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

/** Compares two strings of any length in constant time by comparing their SHA-256 digests. */
export async function stringsEqual(a: string, b: string): Promise<boolean> {
  const [da, db] = await Promise.all([sha256(a), sha256(b)])
  return digestsEqual(da, db)
}

export function randomBytes(length: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(length))
}

export function toBase64Url(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** Strict base64url decoding (no padding, no whitespace); null when the text is not base64url. */
export function fromBase64Url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null
  const padded =
    text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4)
  return binaryToBytes(atob(padded))
}

/** Strict standard base64 (RFC 4648 §4, padded, no whitespace); null when the text is not base64. */
export function fromBase64(text: string): Uint8Array | null {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null
  try {
    return binaryToBytes(atob(text))
  } catch {
    return null
  }
}

function binaryToBytes(binary: string): Uint8Array {
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

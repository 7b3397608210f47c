// Strict parsing of the Authorization header for HTTP Basic (RFC 7617) and the other schemes we recognise.
// Basic credentials are split at the first colon and NOT URL-decoded (that rule is only for OAuth's
// client_secret_basic, RFC 6749 §2.3.1, which has its own parser). Anything malformed is `invalid`.

import { fromBase64 } from '../lib/crypto.ts'

export type Credentials =
  | { kind: 'none' }
  | { kind: 'invalid'; reason: string }
  | { kind: 'basic'; id: string; secret: string }
  | { kind: 'bearer'; token: string }
  /** `Bearer` with no token or a value that is not a token68 (RFC 6750 §2.1): a malformed request. */
  | { kind: 'invalid-bearer' }

// RFC 7230 token for the scheme, then one or more spaces, then token68.
const HEADER = /^([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*) +([A-Za-z0-9\-._~+/]+=*) *$/
// RFC 7617 §2: user-id and password exclude control characters.
const CONTROL = /[\u0000-\u001f\u007f]/
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

export function parseAuthorization(header: string | undefined | null): Credentials {
  if (header === undefined || header === null) return { kind: 'none' }
  const match = HEADER.exec(header)
  if (!match) {
    if (/^bearer(\s|$)/i.test(header)) return { kind: 'invalid-bearer' }
    return { kind: 'invalid', reason: 'malformed Authorization header' }
  }
  const scheme = match[1]!.toLowerCase()
  const value = match[2]!
  if (scheme === 'bearer') return { kind: 'bearer', token: value }
  if (scheme !== 'basic') return { kind: 'invalid', reason: 'unsupported authorization scheme' }
  const bytes = fromBase64(value)
  if (!bytes) return { kind: 'invalid', reason: 'Basic credentials are not valid base64' }
  let decoded: string
  try {
    decoded = utf8Strict.decode(bytes)
  } catch {
    return { kind: 'invalid', reason: 'Basic credentials are not valid UTF-8' }
  }
  const colon = decoded.indexOf(':')
  if (colon < 0) return { kind: 'invalid', reason: 'Basic credentials have no colon' }
  const id = decoded.slice(0, colon)
  const secret = decoded.slice(colon + 1)
  if (id === '') return { kind: 'invalid', reason: 'Basic credentials have an empty client id' }
  if (CONTROL.test(decoded)) return { kind: 'invalid', reason: 'control characters in credentials' }
  return { kind: 'basic', id, secret }
}

// client_secret_basic (RFC 6749 §2.3.1): `Authorization: Basic base64(urlenc(id) ":" urlenc(secret))`.
// Unlike HTTP Basic on API calls (src/auth/basic.ts, RFC 7617: no decoding), each half is
// form-url-decoded (Appendix B: `+` is a space, `%XX` a byte of UTF-8) after the split at the FIRST
// colon, so a secret may hold `:`, `%`, `+` and spaces. A header that is not strictly that
// (another scheme, bad base64, no colon, a malformed escape, an empty half, control characters) is
// invalid_request: a malformed request, not a failed authentication.

import { fromBase64 } from '../lib/crypto.ts'
import { invalidRequest } from './errors.ts'
import { formDecode } from './params.ts'

const HEADER = /^basic +([A-Za-z0-9+/]+=*) *$/i
const CONTROL = /[\u0000-\u001f\u007f]/
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

/** The client id and secret of a client_secret_basic Authorization header, or invalid_request. */
export function parseClientSecretBasic(header: string): { id: string; secret: string } {
  const value = HEADER.exec(header)?.[1]
  if (value === undefined) {
    throw invalidRequest('The Authorization header must be Basic client credentials')
  }
  const bytes = fromBase64(value)
  let decoded: string | undefined
  try {
    decoded = bytes ? utf8Strict.decode(bytes) : undefined
  } catch {
    decoded = undefined
  }
  if (decoded === undefined) {
    throw invalidRequest('The Basic credentials are not base64 of UTF-8 text')
  }
  const colon = decoded.indexOf(':')
  if (colon < 0) throw invalidRequest('The Basic credentials have no colon')
  const id = formDecode(decoded.slice(0, colon))
  const secret = formDecode(decoded.slice(colon + 1))
  if (id === null || secret === null) {
    throw invalidRequest(
      'The Basic credentials are not properly form-url-encoded (RFC 6749 Appendix B)'
    )
  }
  if (id === '' || secret === '') throw invalidRequest('The Basic credentials have an empty half')
  if (CONTROL.test(id) || CONTROL.test(secret)) {
    throw invalidRequest('The Basic credentials hold control characters')
  }
  return { id, secret }
}

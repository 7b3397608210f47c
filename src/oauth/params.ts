// The parameters of a request to the token service: from the body only, form-encoded (RFC 6749
// Appendix B; a charset parameter is allowed, UTF-8 only) or a JSON object of strings (as Aidbox
// accepts), at most 64 KiB. Strict on purpose (RFC 6749 §3.1, §3.2): a parameter sent twice, a
// malformed escape, a JSON value that is not a string, or anything in the URL query is
// invalid_request; credentials in a URL would end up in logs and proxies. A parameter without a value
// is treated as omitted (RFC 6749 §3.1).

import { MAX_FORM_BYTES, mediaType, readUpTo } from '../http/body.ts'
import { invalidRequest, OAuthError } from './errors.ts'

/** Parameter name -> its one value (never empty). */
export type Params = ReadonlyMap<string, string>

const FORM = 'application/x-www-form-urlencoded'
const JSON_TYPE = 'application/json'
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

/** The request's parameters, or invalid_request (413 when the body is over the cap). */
export async function readParams(request: Request): Promise<Params> {
  if (new URL(request.url).search !== '') {
    throw invalidRequest('Parameters are accepted in the request body only, not in the URL query')
  }
  const contentType = request.headers.get('content-type')
  const type = mediaType(contentType)
  if (type !== FORM && type !== JSON_TYPE) {
    throw invalidRequest(`The body must be ${FORM} (or ${JSON_TYPE})`)
  }
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '')?.[1]
  if (charset !== undefined && charset.toLowerCase() !== 'utf-8') {
    throw invalidRequest('The body must be UTF-8')
  }
  const bytes = await readUpTo(request, MAX_FORM_BYTES)
  if (!bytes) {
    throw new OAuthError('invalid_request', 413, `The body exceeds ${MAX_FORM_BYTES} bytes`)
  }
  let text: string
  try {
    text = utf8Strict.decode(bytes)
  } catch {
    throw invalidRequest('The body is not valid UTF-8')
  }
  const pairs = type === FORM ? formPairs(text) : jsonPairs(text)
  const params = new Map<string, string>()
  const seen = new Set<string>()
  for (const [name, value] of pairs) {
    if (seen.has(name)) throw invalidRequest(`Parameter ${name} is repeated`)
    seen.add(name)
    if (value !== '') params.set(name, value)
  }
  return params
}

/** Name-value pairs of a form body: `+` is a space, then percent-decoding; a bad escape is refused. */
function formPairs(text: string): [string, string][] {
  const pairs: [string, string][] = []
  for (const field of text.split('&')) {
    if (field === '') continue
    const equals = field.indexOf('=')
    const [name, value] =
      equals < 0 ? [field, ''] : [field.slice(0, equals), field.slice(equals + 1)]
    const decodedName = formDecode(name)
    const decodedValue = formDecode(value)
    if (decodedName === null || decodedValue === null) {
      throw invalidRequest('The form body has a malformed percent-encoding')
    }
    pairs.push([decodedName, decodedValue])
  }
  return pairs
}

/** RFC 6749 Appendix B decoding of one form value (`+` -> space, `%XX` -> byte, UTF-8); null if malformed. */
export function formDecode(text: string): string | null {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '))
  } catch {
    return null
  }
}

/**
 * Name-value pairs of a JSON body: one object whose values are all strings. Repeated names are
 * reported (JSON.parse keeps the last), by reading the names back from the text.
 */
function jsonPairs(text: string): [string, string][] {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw invalidRequest('The body is not valid JSON')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidRequest('The JSON body must be an object')
  }
  const entries = Object.entries(value)
  for (const [name, field] of entries) {
    if (typeof field !== 'string') throw invalidRequest(`Parameter ${name} must be a string`)
  }
  // Valid JSON made only of an object of strings: its string literals alternate name, value.
  const literals = text.match(/"(?:[^"\\]|\\.)*"/g) ?? []
  const names = literals.filter((_, i) => i % 2 === 0).map((l) => JSON.parse(l) as string)
  const repeated = names.find((name, i) => names.indexOf(name) !== i)
  if (repeated !== undefined) throw invalidRequest(`Parameter ${repeated} is repeated`)
  return entries as [string, string][]
}

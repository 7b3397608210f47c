// Request bodies by kind: each route that takes a body names its kind (a JSON object, a Bundle, a
// JSON Patch, form fields), and the kind fixes the media types, the byte cap and the parse; every
// body limit of the server is here. A reader is memoised: the policy that needs the body and the
// handler share one read and one parse, with the cap of the route's kind, whoever asks first.
// Failures are OperationOutcomes: 415 (media type), 413 (over the cap), 400 (not UTF-8, not JSON).

import { badRequest, tooLarge, unsupportedMediaType } from '../errors/outcome.ts'
import { nestsDeeperThan } from '../lib/json-depth.ts'

/** Largest body of one resource, in bytes (D1 rows are capped at 2 MB; bodies are stored twice). */
export const MAX_BODY_BYTES = 1024 * 1024
/** Largest batch or transaction Bundle, in bytes (each resource in it stays within MAX_BODY_BYTES). */
const MAX_BUNDLE_BYTES = 4 * 1024 * 1024
/** Largest form body of POST _search and of the OAuth endpoints (a URL is capped at 16 KB). */
export const MAX_FORM_BYTES = 64 * 1024
/**
 * Deepest nesting of arrays and objects in a JSON body (FHIR resources nest a dozen levels or so).
 * A Bundle may nest 3 more: the Bundle, `entry`, and the entry around each resource.
 */
export const MAX_JSON_DEPTH = 64
const BUNDLE_WRAPPING = 3

export const JSON_PATCH = 'application/json-patch+json'
const FORM = 'application/x-www-form-urlencoded'
const JSON_TYPES = ['application/json', 'application/fhir+json', 'application/json+fhir']

const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

interface KindSpec {
  mediaTypes: readonly string[]
  maxBytes: number
  /** 415 diagnostics for another Content-Type. */
  unsupported: (contentType: string) => string
  /** 413 diagnostics. */
  tooLarge: string
  parse: (bytes: Uint8Array) => unknown
  /** The value of a request without a body, when that is not a 400. */
  empty?: () => unknown
}

/** A JSON object of at most `maxBytes`, in one of the JSON media types. */
const jsonObjectKind = (maxBytes: number, maxDepth: number): KindSpec => ({
  mediaTypes: JSON_TYPES,
  maxBytes,
  unsupported: (contentType) =>
    `Unsupported Content-Type ${JSON.stringify(contentType)}: only JSON is supported ` +
    '(application/fhir+json or application/json)',
  tooLarge: `Request body exceeds the ${maxBytes}-byte limit`,
  parse: (bytes) => jsonObject(decode(bytes, 'The request body'), maxDepth),
})

const BODY_KINDS = {
  /** A JSON object: a resource, a Client, an AccessPolicy, a debug request. */
  json: jsonObjectKind(MAX_BODY_BYTES, MAX_JSON_DEPTH),
  /** A batch or transaction Bundle: a JSON object up to MAX_BUNDLE_BYTES. */
  bundle: jsonObjectKind(MAX_BUNDLE_BYTES, MAX_JSON_DEPTH + BUNDLE_WRAPPING),
  /** A JSON Patch document (RFC 6902), parsed as JSON; its operations are checked by the handler. */
  'json-patch': {
    mediaTypes: [JSON_PATCH],
    maxBytes: MAX_BODY_BYTES,
    unsupported: unsupportedPatch,
    tooLarge: `Request body exceeds the ${MAX_BODY_BYTES}-byte limit`,
    parse: parseJsonPatch,
  },
  /** Form fields (search.html#search-post), as URLSearchParams. */
  form: {
    mediaTypes: [FORM],
    maxBytes: MAX_FORM_BYTES,
    unsupported: () => `POST _search takes an ${FORM} body`,
    tooLarge: `The search form exceeds ${MAX_FORM_BYTES} bytes`,
    parse: (bytes) => new URLSearchParams(decode(bytes, 'The form')),
    // A search may put all its parameters in the URL.
    empty: () => new URLSearchParams(),
  },
} satisfies Record<string, KindSpec>

export type BodyKind = keyof typeof BODY_KINDS

/** The body a route declared: read and parsed on first use, the same promise for every reader. */
export interface DeclaredBody {
  readonly kind: BodyKind
  /** The parsed body (object, JSON Patch document, or URLSearchParams), or its 4xx FhirError. */
  read(): Promise<unknown>
}

/** The media type of a Content-Type header, lower case, without parameters. */
export function mediaType(contentType: string | undefined | null): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase()
}

/** A memoised reader of `request`'s body as `kind`. */
export function bodyReader(request: Request, kind: BodyKind): DeclaredBody {
  let result: Promise<unknown> | undefined
  return { kind, read: () => (result ??= readBody(request, BODY_KINDS[kind])) }
}

async function readBody(request: Request, spec: KindSpec): Promise<unknown> {
  const contentType = request.headers.get('content-type')
  if (!spec.mediaTypes.includes(mediaType(contentType))) {
    throw unsupportedMediaType(spec.unsupported(contentType ?? ''))
  }
  if (!request.body && spec.empty) return spec.empty()
  return spec.parse(await readCapped(request, spec.maxBytes, spec.tooLarge))
}

/** The body's bytes, refusing more than `maxBytes` while streaming (and by Content-Length first). */
async function readCapped(
  request: Request,
  maxBytes: number,
  overLimit = `Request body exceeds the ${maxBytes}-byte limit`
): Promise<Uint8Array> {
  const bytes = await readUpTo(request, maxBytes)
  if (!bytes) throw tooLarge(overLimit)
  if (!request.body) throw badRequest('The request has no body')
  return bytes
}

/**
 * The body's bytes (empty when there is none), or null when it is longer than `maxBytes`: by
 * Content-Length before anything is read, else while streaming (the rest is never read). For
 * protocols that answer errors in their own words (the OAuth endpoints).
 */
export async function readUpTo(request: Request, maxBytes: number): Promise<Uint8Array | null> {
  const declared = Number(request.headers.get('content-length') ?? NaN)
  if (declared > maxBytes) return null
  if (!request.body) return new Uint8Array(0)
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > maxBytes) {
      await reader.cancel()
      return null
    }
    chunks.push(value)
  }
  const bytes = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return bytes
}

function decode(bytes: Uint8Array, what: string): string {
  try {
    return utf8Strict.decode(bytes)
  } catch {
    throw badRequest(`${what} is not valid UTF-8`)
  }
}

/** 400 when `text` nests deeper than `max`, before it is parsed. */
function checkDepth(text: string, max: number, what: string): void {
  if (nestsDeeperThan(text, max)) {
    throw badRequest(`${what} nests arrays and objects deeper than ${max} levels`)
  }
}

function jsonObject(text: string, maxDepth: number): Record<string, unknown> {
  checkDepth(text, maxDepth, 'The JSON body')
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw badRequest(`Malformed JSON body: ${(err as Error).message}`)
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw badRequest('The request body must be a JSON object')
  }
  return value as Record<string, unknown>
}

/** 415 diagnostics for a patch that is not JSON Patch (a request's or a Bundle Binary's). */
export function unsupportedPatch(contentType: string): string {
  return (
    `Unsupported patch Content-Type ${JSON.stringify(contentType)}: only JSON Patch ` +
    `(${JSON_PATCH}) is supported, not FHIRPath Patch or XML`
  )
}

/** A JSON Patch document's JSON, from its bytes (the operations are checked by the patch interaction). */
export function parseJsonPatch(bytes: Uint8Array): unknown {
  const text = decode(bytes, 'The JSON Patch')
  checkDepth(text, MAX_JSON_DEPTH, 'The JSON Patch')
  try {
    return JSON.parse(text)
  } catch (err) {
    throw badRequest(`Malformed JSON Patch: ${(err as Error).message}`)
  }
}

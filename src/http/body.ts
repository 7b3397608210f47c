// Reading JSON request bodies safely: JSON media types only, a byte cap enforced while streaming,
// strict UTF-8, and a clear OperationOutcome for each failure (415, 413, 400).

import type { Context } from 'hono'
import { badRequest, tooLarge, unsupportedMediaType } from '../errors/outcome.ts'

/** Largest accepted request body, in bytes (D1 rows are capped at 2 MB; bodies are stored twice). */
export const MAX_BODY_BYTES = 1024 * 1024
const JSON_TYPES = ['application/json', 'application/fhir+json', 'application/json+fhir']
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

export function isJsonMediaType(contentType: string | undefined): boolean {
  const essence = (contentType ?? '').split(';')[0]!.trim().toLowerCase()
  return JSON_TYPES.includes(essence)
}

// The body stream can be read once; policies and handlers share the one parse.
const parsed = new WeakMap<Request, Promise<Record<string, unknown>>>()

/** Parses the body as a JSON object, or throws the FhirError that says what is wrong with it. */
export function readJsonObject(c: Context, maxBytes = MAX_BODY_BYTES): Promise<Record<string, unknown>> {
  let result = parsed.get(c.req.raw)
  if (!result) {
    result = parseJsonObject(c, maxBytes)
    parsed.set(c.req.raw, result)
  }
  return result
}

async function parseJsonObject(c: Context, maxBytes: number): Promise<Record<string, unknown>> {
  const contentType = c.req.header('content-type')
  if (!isJsonMediaType(contentType)) {
    throw unsupportedMediaType(
      `Unsupported Content-Type ${JSON.stringify(contentType ?? '')}: only JSON is supported ` +
        '(application/fhir+json or application/json)'
    )
  }
  const bytes = await readCapped(c.req.raw, maxBytes)
  let value: unknown
  try {
    value = JSON.parse(utf8Strict.decode(bytes))
  } catch (err) {
    throw badRequest(`Malformed JSON body: ${(err as Error).message}`)
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw badRequest('The request body must be a JSON object')
  }
  return value as Record<string, unknown>
}

export async function readCapped(request: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get('content-length') ?? NaN)
  if (declared > maxBytes) throw tooLarge(`Request body exceeds the ${maxBytes}-byte limit`)
  if (!request.body) throw badRequest('The request has no body')
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > maxBytes) {
      await reader.cancel()
      throw tooLarge(`Request body exceeds the ${maxBytes}-byte limit`)
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

// Where a JSON Patch document comes from: a PATCH request body with Content-Type
// application/json-patch+json, or, inside a Bundle, a Binary resource carrying it base64-encoded
// (R4 http.html#patch). FHIRPath Patch (a Parameters resource) is not supported.

import type { Context } from 'hono'
import { MAX_BODY_BYTES, readCapped } from '../../http/body.ts'
import { badRequest, unsupportedMediaType } from '../../errors/outcome.ts'
import { parsePatch, type PatchOperation } from './json-patch.ts'

export const JSON_PATCH = 'application/json-patch+json'
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

const essence = (contentType: string | undefined) => (contentType ?? '').split(';')[0]!.trim().toLowerCase()

function notJsonPatch(contentType: string | undefined): never {
  throw unsupportedMediaType(
    `Unsupported patch Content-Type ${JSON.stringify(contentType ?? '')}: only JSON Patch ` +
      `(${JSON_PATCH}) is supported, not FHIRPath Patch or XML`
  )
}

function parseText(text: string): PatchOperation[] {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (err) {
    throw badRequest(`Malformed JSON Patch: ${(err as Error).message}`)
  }
  return parsePatch(doc)
}

function decode(bytes: Uint8Array): string {
  try {
    return utf8Strict.decode(bytes)
  } catch {
    throw badRequest('The JSON Patch is not valid UTF-8')
  }
}

/** The JSON Patch in the body of a PATCH request. */
export async function readPatchBody(c: Context): Promise<PatchOperation[]> {
  const contentType = c.req.header('content-type')
  if (essence(contentType) !== JSON_PATCH) notJsonPatch(contentType)
  return parseText(decode(await readCapped(c.req.raw, MAX_BODY_BYTES)))
}

/** The JSON Patch carried by a Bundle entry's Binary resource. */
export function patchFromBinary(resource: Record<string, unknown> | undefined): PatchOperation[] {
  if (resource?.resourceType !== 'Binary') {
    throw badRequest(`A PATCH entry carries its JSON Patch as a Binary resource with contentType ${JSON_PATCH}`)
  }
  if (essence(resource.contentType as string | undefined) !== JSON_PATCH) notJsonPatch(resource.contentType as string)
  if (typeof resource.data !== 'string') throw badRequest('The Binary of a PATCH entry has no base64 data')
  let binary: string
  try {
    binary = atob(resource.data)
  } catch {
    throw badRequest('The Binary data of a PATCH entry is not valid base64')
  }
  return parseText(decode(Uint8Array.from(binary, (ch) => ch.charCodeAt(0))))
}

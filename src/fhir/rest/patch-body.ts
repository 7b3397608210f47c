// The JSON Patch of a Bundle entry (R4 http.html#patch, #transaction): a Binary resource carrying the
// patch base64-encoded, with contentType application/json-patch+json. A PATCH request's own body is
// read by the route's declared body (http/body.ts). FHIRPath Patch (a Parameters resource) is not
// supported.

import { JSON_PATCH, mediaType, parseJsonPatch, unsupportedPatch } from '../../http/body.ts'
import { badRequest, unsupportedMediaType } from '../../errors/outcome.ts'

/** The JSON Patch document (parsed JSON, not yet checked) carried by a Bundle entry's Binary. */
export function patchFromBinary(resource: Record<string, unknown> | undefined): unknown {
  if (resource?.resourceType !== 'Binary') {
    throw badRequest(
      `A PATCH entry carries its JSON Patch as a Binary resource with contentType ${JSON_PATCH}`
    )
  }
  const contentType = typeof resource.contentType === 'string' ? resource.contentType : ''
  if (mediaType(contentType) !== JSON_PATCH) {
    throw unsupportedMediaType(unsupportedPatch(contentType))
  }
  if (typeof resource.data !== 'string')
    throw badRequest('The Binary of a PATCH entry has no base64 data')
  let binary: string
  try {
    binary = atob(resource.data)
  } catch {
    throw badRequest('The Binary data of a PATCH entry is not valid base64')
  }
  return parseJsonPatch(Uint8Array.from(binary, (ch) => ch.charCodeAt(0)))
}

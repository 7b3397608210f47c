// One entry of a batch or transaction as a FhirCall of its interaction (R4 http.html#transaction):
// its own params, query, body and conditional headers; the Prefer header of the Bundle request
// (`handling=strict` applies to a search entry as to a search). An entry's JSON Patch comes as a
// Binary resource; a GET entry's `_format` is checked as a request's would be.

import { checkFormat } from '../../http/media.ts'
import type { CallHeader, FhirCall, FhirResult } from '../call.ts'
import type { ReturnPreference } from '../rest/prefer.ts'
import { etag, instant } from '../rest/versioning.ts'
import {
  RawJson,
  responseEntry,
  returnFor,
  statusLine,
  type ResponseEntry,
  type RestResult,
} from '../rest/result.ts'
import { entryBody, entryRequestParts, type Entry } from './entries.ts'

export const isRead = (entry: Entry) => entry.method === 'GET' || entry.method === 'HEAD'

export function entryCall(bundle: FhirCall, entry: Entry, current?: FhirCall['current']): FhirCall {
  if (isRead(entry)) checkFormat(entry.query.get('_format'))
  const headers: Record<CallHeader, string | undefined> = {
    'if-match': entry.ifMatch,
    'if-none-match': entry.ifNoneMatch,
    'if-modified-since': entry.ifModifiedSince,
    'if-none-exist': entry.ifNoneExist,
    prefer: bundle.header('prefer'),
  }
  return {
    db: bundle.db,
    log: bundle.log,
    base: bundle.base,
    params: entry.params,
    query: entry.query,
    body: async () => entryBody(entry),
    header: (name) => headers[name],
    current,
    // What an entry reads beyond its route is authorised for the Bundle's caller.
    authorizeSearch: bundle.authorizeSearch,
    scopes: bundle.scopes,
  }
}

/**
 * Authorises the entry as its own request: the access token's scopes with the letter of its
 * interaction (as the route's guard does for an HTTP request), then policies with its operation
 * (public: none).
 */
export async function authorizeEntry(bundle: FhirCall, entry: Entry): Promise<void> {
  const operation = entry.interaction.operation
  if (operation === null) return
  bundle.scopes?.route(entry.interaction, entry.params, `${entry.method} ${entry.path || '/'}`)
  if (!bundle.authorize) throw new Error('a Bundle is run without a way to authorise its entries')
  await bundle.authorize(operation, entryRequestParts(entry))
}

/**
 * The response entry for an entry's result (HEAD: without the body; a write with its resource only
 * if the caller may read it, rest/prefer.ts).
 */
export function entryResponse(
  call: FhirCall,
  entry: Entry,
  result: FhirResult,
  prefer: ReturnPreference
): ResponseEntry {
  const base = call.base
  const withBody = entry.method !== 'HEAD'
  switch (result.kind) {
    case 'write':
      return writeEntry(call, result.result, prefer)
    case 'resource': {
      const v = result.version
      const response = {
        status: statusLine(result.status),
        etag: etag(v.version),
        lastModified: instant(v.lastUpdated),
      }
      if (result.text === undefined || !withBody) return { response }
      return {
        fullUrl: `${base}/fhir/${v.type}/${v.id}`,
        resource: new RawJson(result.text),
        response,
      }
    }
    case 'document':
      return withBody
        ? { resource: new RawJson(result.text), response: { status: statusLine(200) } }
        : { response: { status: statusLine(200) } }
  }
}

/** The response entry of a write: its resource only if the caller may read it (rest/prefer.ts). */
export function writeEntry(
  call: FhirCall,
  result: RestResult,
  prefer: ReturnPreference
): ResponseEntry {
  return responseEntry(call.base, result, returnFor(prefer, call.scopes, result))
}

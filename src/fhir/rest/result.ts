// The outcome of one REST interaction, and how it is answered: as an HTTP response (ETag,
// Last-Modified, Location, body chosen by Prefer) or as a Bundle entry of a batch-response or
// transaction-response (R4 bundle.html#transaction-response). One shape for both keeps a request
// and the same request inside a Bundle answering alike.

import type { Context } from 'hono'
import type { AppEnv } from '../../http/env.ts'
import type { Log } from '../../lib/log.ts'
import type { WrittenVersion } from '../storage/resources.ts'
import { fhirJson } from '../../http/media.ts'
import { baseUrl } from '../../http/base-url.ts'
import { FhirError, operationOutcome, type OperationOutcome } from '../../errors/outcome.ts'
import type { TokenScopes } from '../../policy/scope-check.ts'
import type { ReturnPreference } from './prefer.ts'
import { etag, instant, versionHeaders } from './versioning.ts'

export interface RestResult {
  status: 200 | 201 | 204
  /** The version written or found; its body is null for a delete. */
  version?: WrittenVersion
  /** Says what happened, for `Prefer: return=OperationOutcome`. */
  message: string
}

const REASONS: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  304: 'Not Modified',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  410: 'Gone',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
}

/** `201 Created`: the form of Bundle.entry.response.status. */
export const statusLine = (status: number) =>
  REASONS[status] ? `${status} ${REASONS[status]}` : String(status)

function informational(message: string): OperationOutcome {
  return operationOutcome({ severity: 'information', code: 'informational', diagnostics: message })
}

/** `Type/id/_history/version`, relative to the FHIR base. */
const versionPath = (v: WrittenVersion) => `${v.type}/${v.id}/_history/${v.version}`

/** The HTTP response: version headers, Location on writes, and the body `prefer` asks for. */
export function restResponse(
  c: Context<AppEnv>,
  result: RestResult,
  prefer: ReturnPreference
): Response {
  const headers: Record<string, string> = {}
  const v = result.version
  if (v) {
    Object.assign(headers, versionHeaders(v))
    if (v.body && result.status !== 204) headers.location = `${baseUrl(c)}/fhir/${versionPath(v)}`
  }
  if (prefer === 'OperationOutcome') {
    return fhirJson(
      c,
      informational(result.message),
      result.status === 204 ? 200 : result.status,
      headers
    )
  }
  if (prefer === 'minimal' || !v?.body || result.status === 204) {
    return new Response(null, { status: result.status, headers })
  }
  return fhirJson(c, v.body, result.status, headers, v.text)
}

/** JSON text spliced into a response as it is (a stored resource, a Bundle made as text). */
export class RawJson {
  readonly text: string
  constructor(text: string) {
    this.text = text
  }
}

export interface ResponseEntry {
  fullUrl?: string
  resource?: Record<string, unknown> | RawJson
  response: {
    status: string
    location?: string
    etag?: string
    lastModified?: string
    outcome?: OperationOutcome
  }
}

/** The Bundle entry answering one entry of a batch or transaction. */
export function responseEntry(
  base: string,
  result: RestResult,
  prefer: ReturnPreference
): ResponseEntry {
  const v = result.version
  const entry: ResponseEntry = { response: { status: statusLine(result.status) } }
  if (v) {
    if (v.body) {
      entry.fullUrl = `${base}/fhir/${v.type}/${v.id}`
      entry.response.location = versionPath(v)
    }
    entry.response.etag = etag(v.version)
    entry.response.lastModified = instant(v.lastUpdated)
    if (prefer === 'representation' && v.body) {
      entry.resource = v.text !== undefined ? new RawJson(v.text) : v.body
    }
  }
  if (prefer === 'OperationOutcome') entry.response.outcome = informational(result.message)
  return entry
}

/** A batch-response or transaction-response Bundle as JSON text (raw resources spliced in). */
export function responseBundle(type: string, entries: readonly ResponseEntry[]): string {
  const text = entries.map(({ fullUrl, resource, response }) => {
    const parts: string[] = []
    if (fullUrl !== undefined) parts.push(`"fullUrl":${JSON.stringify(fullUrl)}`)
    if (resource !== undefined) {
      parts.push(
        `"resource":${resource instanceof RawJson ? resource.text : JSON.stringify(resource)}`
      )
    }
    parts.push(`"response":${JSON.stringify(response)}`)
    return `{${parts.join(',')}}`
  })
  // FHIR JSON has no empty arrays: no entries means no `entry`.
  const entry = text.length ? `,"entry":[${text.join(',')}]` : ''
  return `{"resourceType":"Bundle","type":${JSON.stringify(type)}${entry}}`
}

/** The Bundle entry for an entry that failed with `status` and `outcome`. */
function errorEntry(status: number, outcome: OperationOutcome): ResponseEntry {
  return { response: { status: statusLine(status), outcome } }
}

/** The Bundle entry for an entry that threw: its FhirError, or a logged 500 without internals. */
export function failedEntry(err: unknown, index: number, log: Log): ResponseEntry {
  if (err instanceof FhirError) return errorEntry(err.status, err.outcome)
  const reference = crypto.randomUUID()
  log.error('Bundle entry failed', { entry: index, reference, error: String(err) })
  const diagnostics = `Internal server error (reference ${reference})`
  return errorEntry(500, operationOutcome({ severity: 'fatal', code: 'exception', diagnostics }))
}

/**
 * The preference a write result is answered with for a caller holding `scopes`: the resource only if
 * it may read it. An access token without `r` on the type (or with a granular `r`) gets `minimal`, so
 * `c` or `u` alone never reads (docs/scopes.md).
 */
export function returnFor(
  prefer: ReturnPreference,
  scopes: TokenScopes | undefined,
  result: RestResult
): ReturnPreference {
  const type = result.version?.type
  if (prefer !== 'representation' || !scopes || !type) return prefer
  return scopes.readsAll(type) ? prefer : 'minimal'
}

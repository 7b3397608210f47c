// A batch or transaction Bundle's entries (R4 bundle.html, http.html#transaction): the Bundle is
// checked as a whole (type, caps), then each entry's request is parsed into the interaction it asks
// for, with the Aidbox operation id it is authorised as. An entry that cannot be parsed carries its
// error: in a batch it becomes that entry's response, in a transaction it fails the transaction.

import type { RequestParts } from '../../policy/request.ts'
import { MAX_BODY_BYTES } from '../../http/body.ts'
import { routingPath } from '../../http/route-matcher.ts'
import { badRequest, FhirError, tooLarge } from '../../errors/outcome.ts'
import type { FhirInteraction, InteractionMatcher } from '../call.ts'
import { checkParams } from '../resource-input.ts'
import { patchFromBinary } from '../rest/patch-body.ts'

/** Most entries in one Bundle: a transaction's statements all go into one D1 batch (see docs/rest.md). */
const MAX_BUNDLE_ENTRIES = 500

export type EntryMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

export interface Entry {
  index: number
  fullUrl?: string
  /** As written; HEAD is answered as GET without the body. */
  method: EntryMethod
  /** The row of the interaction table the entry's request matches. */
  interaction: FhirInteraction
  /** Its route params, percent-decoded and checked (`type`, `id`, `vid`, `compartment`). */
  params: Record<string, string>
  /** The request URL relative to the FHIR base, without the query. */
  path: string
  query: URLSearchParams
  resource?: Record<string, unknown>
  ifMatch?: string
  ifNoneMatch?: string
  ifModifiedSince?: string
  ifNoneExist?: string
}

/** An entry, or the error that makes it unusable. */
export type ParsedEntry = Entry | { index: number; fullUrl?: string; error: FhirError }

export interface ParsedBundle {
  type: 'batch' | 'transaction'
  entries: ParsedEntry[]
}

const utf8 = new TextEncoder()
const METHODS = new Set<string>(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'])

export function parseBundle(
  body: Record<string, unknown>,
  base: string,
  match: InteractionMatcher
): ParsedBundle {
  if (body.resourceType !== 'Bundle') {
    throw badRequest('POST to the FHIR base takes a Bundle of type batch or transaction', [
      'resourceType',
    ])
  }
  if (body.type !== 'batch' && body.type !== 'transaction') {
    const type = JSON.stringify(body.type ?? null)
    throw badRequest(`Bundle.type must be batch or transaction, not ${type}`, ['Bundle.type'])
  }
  const list = body.entry ?? []
  if (!Array.isArray(list)) throw badRequest('Bundle.entry must be an array', ['Bundle.entry'])
  if (list.length > MAX_BUNDLE_ENTRIES) {
    throw tooLarge(
      `The Bundle has ${list.length} entries; at most ${MAX_BUNDLE_ENTRIES} are accepted per ${body.type} ` +
        '(a transaction is one D1 batch). Split it into several Bundles.'
    )
  }
  return {
    type: body.type,
    entries: list.map((entry: unknown, index) => parseEntry(entry, index, base, match)),
  }
}

function parseEntry(
  raw: unknown,
  index: number,
  base: string,
  match: InteractionMatcher
): ParsedEntry {
  const fullUrl =
    raw && typeof raw === 'object' && typeof (raw as Record<string, unknown>).fullUrl === 'string'
      ? ((raw as Record<string, unknown>).fullUrl as string)
      : undefined
  try {
    return parseEntryRequest(raw, index, base, fullUrl, match)
  } catch (err) {
    if (err instanceof FhirError) return { index, fullUrl, error: atEntry(err, index) }
    throw err
  }
}

/** The error with its diagnostics prefixed by the entry it is about. */
export function atEntry(err: FhirError, index: number): FhirError {
  const where = `Bundle.entry[${index}]`
  if (err.outcome.issue.some((i) => i.diagnostics?.startsWith(where))) return err
  const issues = err.outcome.issue.map((issue) => ({
    ...issue,
    diagnostics: `${where}: ${issue.diagnostics ?? issue.code}`,
    expression: [where, ...(issue.expression ?? [])],
  }))
  return new FhirError(err.status, issues, err.headers)
}

function optionalString(o: Record<string, unknown>, key: string): string | undefined {
  const value = o[key]
  if (value === undefined) return undefined
  if (typeof value !== 'string') throw badRequest(`request.${key} must be a string`)
  return value
}

function parseEntryRequest(
  raw: unknown,
  index: number,
  base: string,
  fullUrl: string | undefined,
  match: InteractionMatcher
): Entry {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw badRequest('The entry is not an object')
  const entry = raw as Record<string, unknown>
  const request = entry.request
  if (!request || typeof request !== 'object' || Array.isArray(request))
    throw badRequest('The entry has no request')
  const r = request as Record<string, unknown>
  if (typeof r.method !== 'string' || !METHODS.has(r.method)) {
    throw badRequest(`request.method must be one of ${[...METHODS].join(', ')}`)
  }
  if (typeof r.url !== 'string' || !r.url) throw badRequest('request.url is missing')
  const method = r.method as EntryMethod
  const resource = entry.resource
  if (
    resource !== undefined &&
    (!resource || typeof resource !== 'object' || Array.isArray(resource))
  ) {
    throw badRequest('entry.resource must be a JSON object')
  }
  if (resource !== undefined && utf8.encode(JSON.stringify(resource)).byteLength > MAX_BODY_BYTES) {
    throw tooLarge(`The entry's resource exceeds the ${MAX_BODY_BYTES}-byte limit of one resource`)
  }
  const { path, query } = splitUrl(r.url, base)
  const found = match(method, `/fhir/${path}`)
  if (!found || !found.route.inBundle) {
    throw badRequest(
      `${method} ${path || '/'} is not an interaction this server supports in a Bundle`
    )
  }
  const interaction = found.route
  const params = decodeParams(found.params)
  checkParams(params)
  if (interaction.body === 'json' && !resource)
    throw badRequest(`A ${method} entry needs a resource`)
  if (interaction.body === 'json-patch' && !resource) {
    throw badRequest('A PATCH entry needs a Binary resource with the JSON Patch')
  }
  return {
    index,
    fullUrl,
    method,
    interaction,
    params,
    path,
    query,
    resource: resource as Record<string, unknown> | undefined,
    ifMatch: optionalString(r, 'ifMatch'),
    ifNoneMatch: optionalString(r, 'ifNoneMatch'),
    ifModifiedSince: optionalString(r, 'ifModifiedSince'),
    ifNoneExist: optionalString(r, 'ifNoneExist'),
  }
}

/** The entry URL relative to the FHIR base (`Patient/1`, `Patient?x=y`), or absolute under it. */
function splitUrl(url: string, base: string): { path: string; query: URLSearchParams } {
  let relative = url
  if (/^[a-z][a-z0-9+.-]*:/i.test(url)) {
    const prefix = `${base}/fhir/`
    if (!url.startsWith(prefix)) {
      throw badRequest(`request.url ${JSON.stringify(url)} is not on this server (${prefix})`)
    }
    relative = url.slice(prefix.length)
  }
  relative = relative.replace(/^\/+/, '')
  const q = relative.indexOf('?')
  const path = (q < 0 ? relative : relative.slice(0, q)).replace(/\/+$/, '')
  return { path, query: new URLSearchParams(q < 0 ? '' : relative.slice(q + 1)) }
}

function decodeParams(raw: Record<string, string>): Record<string, string> {
  const params: Record<string, string> = {}
  for (const [key, value] of Object.entries(raw)) {
    try {
      params[key] = decodeURIComponent(value)
    } catch {
      throw badRequest(`request.url has an invalid percent-encoding: ${JSON.stringify(value)}`)
    }
  }
  return params
}

/**
 * What the entry's interaction takes as its body, as an HTTP request would carry it: the resource, or
 * the JSON Patch document decoded from its Binary (throws the 4xx when it cannot be decoded); nothing
 * for an interaction without a body (a `resource` on a GET or DELETE entry is ignored).
 */
export function entryBody(entry: Entry): unknown {
  switch (entry.interaction.body) {
    case 'json':
      return entry.resource
    case 'json-patch':
      return patchFromBinary(entry.resource)
    default:
      return undefined
  }
}

/** The entry as a policy sees it: its own method, path, query, route params and body. */
export function entryRequestParts(entry: Entry): RequestParts {
  // The path as routing matched it (percent-escapes decoded), as for an HTTP request.
  const path = routingPath(entry.path ? `/fhir/${entry.path}` : '/fhir')
  let body: unknown
  try {
    body = entryBody(entry)
  } catch {
    // A patch that cannot be decoded: the policy sees no body; the interaction answers the 4xx.
  }
  return { method: entry.method, path, query: entry.query, routeParams: entry.params, body }
}

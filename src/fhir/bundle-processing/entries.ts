// A batch or transaction Bundle's entries (R4 bundle.html, http.html#transaction): the Bundle is
// checked as a whole (type, caps), then each entry's request is parsed into the interaction it asks
// for, with the Aidbox operation id it is authorised as. An entry that cannot be parsed carries its
// error: in a batch it becomes that entry's response, in a transaction it fails the transaction.

import type { RequestParts } from '../../policy/request.ts'
import { MAX_BODY_BYTES } from '../../http/body.ts'
import { badRequest, FhirError, tooLarge } from '../../errors/outcome.ts'
import { checkFhirId, checkType } from '../resource-input.ts'

/** Most entries in one Bundle: a transaction's statements all go into one D1 batch (see docs/rest.md). */
export const MAX_BUNDLE_ENTRIES = 500
/** Largest Bundle body, in bytes (each resource in it stays within MAX_BODY_BYTES). */
export const MAX_BUNDLE_BYTES = 4 * 1024 * 1024

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

export type Interaction =
  | { kind: 'create'; type: string }
  | { kind: 'update' | 'patch' | 'delete'; type: string; id: string }
  | { kind: 'conditional-update' | 'conditional-patch' | 'conditional-delete'; type: string }
  | { kind: 'read' | 'history-instance'; type: string; id: string }
  | { kind: 'vread'; type: string; id: string; vid: string }
  | { kind: 'search' | 'history-type'; type: string }
  | { kind: 'search-compartment'; type: string; compartment: string; id: string }
  | { kind: 'search-system' | 'history-system' | 'capabilities' }

export interface Entry {
  index: number
  fullUrl?: string
  method: Method
  /** The request URL relative to the FHIR base, without the query. */
  path: string
  query: URLSearchParams
  resource?: Record<string, unknown>
  ifMatch?: string
  ifNoneMatch?: string
  ifModifiedSince?: string
  ifNoneExist?: string
  interaction: Interaction
  /** The Aidbox operation id the entry is authorised as (null: public, like /metadata). */
  operation: string | null
}

/** An entry, or the error that makes it unusable. */
export type ParsedEntry = Entry | { index: number; fullUrl?: string; error: FhirError }

export interface ParsedBundle {
  type: 'batch' | 'transaction'
  entries: ParsedEntry[]
}

const utf8 = new TextEncoder()
const METHODS = new Set<string>(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'])

export function parseBundle(body: Record<string, unknown>, base: string): ParsedBundle {
  if (body.resourceType !== 'Bundle') {
    throw badRequest('POST to the FHIR base takes a Bundle of type batch or transaction', ['resourceType'])
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
  return { type: body.type, entries: list.map((entry: unknown, index) => parseEntry(entry, index, base)) }
}

function parseEntry(raw: unknown, index: number, base: string): ParsedEntry {
  const fullUrl =
    raw && typeof raw === 'object' && typeof (raw as Record<string, unknown>).fullUrl === 'string'
      ? ((raw as Record<string, unknown>).fullUrl as string)
      : undefined
  try {
    return parseEntryRequest(raw, index, base, fullUrl)
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

function parseEntryRequest(raw: unknown, index: number, base: string, fullUrl: string | undefined): Entry {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw badRequest('The entry is not an object')
  const entry = raw as Record<string, unknown>
  const request = entry.request
  if (!request || typeof request !== 'object' || Array.isArray(request)) throw badRequest('The entry has no request')
  const r = request as Record<string, unknown>
  if (typeof r.method !== 'string' || !METHODS.has(r.method)) {
    throw badRequest(`request.method must be one of ${[...METHODS].join(', ')}`)
  }
  if (typeof r.url !== 'string' || !r.url) throw badRequest('request.url is missing')
  const method = r.method as Method
  const resource = entry.resource
  if (resource !== undefined && (!resource || typeof resource !== 'object' || Array.isArray(resource))) {
    throw badRequest('entry.resource must be a JSON object')
  }
  if (resource !== undefined && utf8.encode(JSON.stringify(resource)).byteLength > MAX_BODY_BYTES) {
    throw tooLarge(`The entry's resource exceeds the ${MAX_BODY_BYTES}-byte limit of one resource`)
  }
  const { path, query } = splitUrl(r.url, base)
  const interaction = classify(method, path, query)
  if (['create', 'update', 'conditional-update'].includes(interaction.kind) && !resource) {
    throw badRequest(`A ${method} entry needs a resource`)
  }
  if (interaction.kind.endsWith('patch') && !resource) {
    throw badRequest('A PATCH entry needs a Binary resource with the JSON Patch')
  }
  return {
    index,
    fullUrl,
    method,
    path,
    query,
    resource: resource as Record<string, unknown> | undefined,
    ifMatch: optionalString(r, 'ifMatch'),
    ifNoneMatch: optionalString(r, 'ifNoneMatch'),
    ifModifiedSince: optionalString(r, 'ifModifiedSince'),
    ifNoneExist: optionalString(r, 'ifNoneExist'),
    interaction,
    operation: operationOf(interaction),
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

function segments(path: string): string[] {
  if (!path) return []
  return path.split('/').map((s) => {
    try {
      return decodeURIComponent(s)
    } catch {
      throw badRequest(`request.url has an invalid percent-encoding: ${JSON.stringify(path)}`)
    }
  })
}

function classify(method: Method, path: string, query: URLSearchParams): Interaction {
  const parts = segments(path)
  const [type, id, history, vid] = parts
  const unsupported = () =>
    badRequest(`${method} ${path || '/'} is not an interaction this server supports in a Bundle`)
  const read = method === 'GET' || method === 'HEAD'
  if (parts.length === 0) {
    if (read) return { kind: 'search-system' }
    throw badRequest(`${method} needs a resource type in request.url`)
  }
  if (type === '_history' && parts.length === 1 && read) return { kind: 'history-system' }
  if (type === 'metadata' && parts.length === 1 && read) return { kind: 'capabilities' }
  checkType(type!)
  if (id === '_history' && parts.length === 2 && read) return { kind: 'history-type', type: type! }
  if (id !== undefined) checkFhirId(id)
  const hasQuery = [...query.keys()].length > 0
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (parts.length === 1) return { kind: 'search', type: type! }
      if (parts.length === 2) return { kind: 'read', type: type!, id: id! }
      if (history === '_history' && parts.length === 3) return { kind: 'history-instance', type: type!, id: id! }
      if (history === '_history' && parts.length === 4) return { kind: 'vread', type: type!, id: id!, vid: vid! }
      if (parts.length === 3) {
        if (history !== '*') checkType(history!)
        return { kind: 'search-compartment', type: history!, compartment: type!, id: id! }
      }
      throw unsupported()
    case 'POST':
      if (parts.length === 1) return { kind: 'create', type: type! }
      throw unsupported()
    case 'PUT':
    case 'PATCH':
    case 'DELETE': {
      const kind = method === 'PUT' ? 'update' : method === 'PATCH' ? 'patch' : 'delete'
      if (parts.length === 2) return { kind, type: type!, id: id! }
      if (parts.length === 1 && hasQuery) return { kind: `conditional-${kind}`, type: type! }
      if (parts.length === 1) {
        throw badRequest(`${method} ${type} needs an id (${type}/[id]) or search criteria (${type}?[criteria])`)
      }
      throw unsupported()
    }
  }
}

/** Aidbox operation ids, the same the HTTP routes are guarded with (routes.ts). */
export function operationOf(interaction: Interaction): string | null {
  switch (interaction.kind) {
    case 'create':
      return 'FhirCreate'
    case 'update':
      return 'FhirUpdate'
    case 'conditional-update':
      return 'FhirConditionalUpdate'
    case 'patch':
      return 'FhirPatch'
    case 'conditional-patch':
      return 'FhirConditionalPatch'
    case 'delete':
      return 'FhirDelete'
    case 'conditional-delete':
      return 'FhirConditionalDelete'
    case 'read':
      return 'FhirRead'
    case 'vread':
      return 'FhirVRead'
    case 'search':
    case 'search-compartment':
    case 'search-system':
      return 'FhirSearch'
    case 'history-instance':
      return 'FhirHistory'
    case 'history-type':
      return 'FhirTypeHistory'
    case 'history-system':
      return 'FhirSystemHistory'
    case 'capabilities':
      return null
  }
}

/** The entry as a policy sees it: its own method, path, query, route params and body. */
export function entryRequestParts(entry: Entry): RequestParts {
  const i = entry.interaction
  const routeParams: Record<string, string> = {}
  if ('type' in i) routeParams.type = i.type
  if ('id' in i) routeParams.id = i.id
  if ('vid' in i) routeParams.vid = i.vid
  if ('compartment' in i) routeParams.compartment = i.compartment
  const path = entry.path ? `/fhir/${entry.path}` : '/fhir'
  return { method: entry.method, path, query: entry.query, routeParams, body: entry.resource }
}

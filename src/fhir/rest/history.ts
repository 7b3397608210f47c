// The history interaction (R4 http.html#history) at instance, type and system level: a Bundle of type
// `history`, newest version first, each entry with `request` and `response`, deleted versions as
// entries without a resource; `_since`, `_at`, `_count` and keyset paging through `next` links.

import {
  instanceHistory,
  typeHistory,
  type HistoryCursor,
  type HistoryFilter,
  type HistoryRow,
} from '../storage/history.ts'
import { badRequest, notFound } from '../../errors/outcome.ts'
import { document, type FhirCall, type FhirResult } from '../call.ts'
import { parseInstant } from './instant.ts'
import { statusLine } from './result.ts'
import { etag, instant } from './versioning.ts'

/** Whose history: one resource, one type, or the whole server. */
export interface HistoryScope {
  type?: string
  id?: string
}

/** Page size when `_count` is absent, and the largest honoured (the same as search's). */
const DEFAULT_COUNT = 20
const MAX_COUNT = 1000

/** Parameters that do not change the result (formatting), accepted and left out of links. */
const PASSIVE = new Set(['_format', '_pretty'])

export interface HistoryRequest {
  filter: HistoryFilter
  /** The parameters as they go into the self link. */
  applied: [string, string][]
}

export function parseHistoryQuery(query: URLSearchParams): HistoryRequest {
  const filter: HistoryFilter = { limit: DEFAULT_COUNT }
  const applied: [string, string][] = []
  for (const [key, value] of query) {
    if (PASSIVE.has(key)) continue
    switch (key) {
      case '_count':
        if (!/^\d{1,6}$/.test(value)) {
          throw badRequest(`_count must be a non-negative integer, got ${JSON.stringify(value)}`, [
            '_count',
          ])
        }
        filter.limit = Math.min(Number(value), MAX_COUNT)
        continue
      case '_since':
        filter.since = instantParam(key, value)[0]
        break
      case '_at':
        filter.at = instantParam(key, value)
        break
      case '_cursor':
        filter.after = decodeCursor(value)
        break
      default:
        throw badRequest(
          `History parameter ${JSON.stringify(key)} is not supported (supported: _count, _since, _at)`,
          [key]
        )
    }
    applied.push([key, value])
  }
  return { filter, applied }
}

function instantParam(name: string, value: string): [number, number] {
  const range = parseInstant(value)
  if (!range)
    throw badRequest(`${name} must be a date or an instant such as 2024-05-01T10:00:00Z`, [name])
  return range
}

function encodeCursor(row: HistoryRow): string {
  return btoa(`h:${row.lastUpdated}:${row.pk}:${row.version}`).replace(/=+$/, '')
}

function decodeCursor(raw: string): HistoryCursor {
  let decoded = ''
  try {
    decoded = atob(raw)
  } catch {
    // reported below
  }
  const match = /^h:(\d{1,15}):(\d{1,15}):(\d{1,15})$/.exec(decoded)
  if (!match)
    throw badRequest('Invalid _cursor: use the next link returned by the server', ['_cursor'])
  return { lastUpdated: Number(match[1]), pk: Number(match[2]), version: Number(match[3]) }
}

/** Reads one page of history; 404 for the instance history of a resource that never existed. */
async function readHistory(
  db: D1Database,
  scope: HistoryScope,
  filter: HistoryFilter
): Promise<{ rows: HistoryRow[]; more: boolean }> {
  const page = { ...filter, limit: filter.limit + 1 }
  let rows: HistoryRow[]
  if (filter.limit === 0) rows = []
  else if (scope.type !== undefined && scope.id !== undefined) {
    const found = await instanceHistory(db, scope.type, scope.id, page)
    if (!found) throw notFound(`Resource ${scope.type}/${scope.id} not found`)
    rows = found
  } else rows = await typeHistory(db, scope.type ?? null, page)
  return { rows: rows.slice(0, filter.limit), more: rows.length > filter.limit }
}

function entryText(base: string, row: HistoryRow): string {
  const method = row.method
  const created = method === 'POST' || (row.version === 1 && method === 'PUT')
  const status = method === 'DELETE' ? 204 : created ? 201 : 200
  const request = { method, url: method === 'POST' ? row.type : `${row.type}/${row.id}` }
  const response = {
    status: statusLine(status),
    etag: etag(row.version),
    lastModified: instant(row.lastUpdated),
  }
  const fullUrl = JSON.stringify(`${base}/fhir/${row.type}/${row.id}`)
  const resource = row.body === null ? '' : `"resource":${row.body},`
  const rest = `"request":${JSON.stringify(request)},"response":${JSON.stringify(response)}`
  return `{"fullUrl":${fullUrl},${resource}${rest}}`
}

/** The history Bundle as JSON text (stored bodies are spliced in unparsed). */
function historyBundle(
  base: string,
  scope: HistoryScope,
  request: HistoryRequest,
  rows: HistoryRow[],
  more: boolean
): string {
  const path = [scope.type, scope.id, '_history'].filter((s) => s !== undefined).join('/')
  const url = `${base}/fhir/${path}`
  const withQuery = (params: [string, string][]) => {
    const query = new URLSearchParams(params).toString()
    return query ? `${url}?${query}` : url
  }
  const count: [string, string] = ['_count', String(request.filter.limit)]
  const applied = request.applied.filter(([k]) => k !== '_count')
  const link = [{ relation: 'self', url: withQuery([...applied, count]) }]
  if (more && rows.length) {
    const next = applied.filter(([k]) => k !== '_cursor')
    const cursor: [string, string] = ['_cursor', encodeCursor(rows[rows.length - 1]!)]
    link.push({ relation: 'next', url: withQuery([...next, count, cursor]) })
  }
  // FHIR JSON has no empty arrays: an empty page has no `entry`.
  const entries = rows.length
    ? `,"entry":[${rows.map((row) => entryText(base, row)).join(',')}]`
    : ''
  return `{"resourceType":"Bundle","type":"history","link":${JSON.stringify(link)}${entries}}`
}

/** The history interaction at the level the route names: instance (type and id), type, or system. */
export async function history(call: FhirCall): Promise<FhirResult> {
  const scope: HistoryScope = { type: call.params.type, id: call.params.id }
  const request = parseHistoryQuery(call.query)
  const { rows, more } = await readHistory(call.db, scope, request.filter)
  return document(historyBundle(call.base, scope, request, rows, more))
}

// Query string -> SearchRequest (R4 search.html): filters on the parameters of the searched types,
// result controls, and the parameters that were not applied with why (reported in an
// OperationOutcome entry, or a 400 with `Prefer: handling=strict`). Comma is OR within one
// parameter, a repeated parameter is AND (search.html#combining).

import { badRequest } from '../../errors/outcome.ts'
import { decodeCursor, encodeCursor } from './cursor.ts'
import { Budget } from './budget.ts'
import { MAX_CHAIN_HOPS } from './limits.ts'
import { parseFilter } from './parse-filter.ts'
import {
  DEFAULT_COUNT,
  parseCount,
  parseElements,
  parseInclude,
  parseSort,
  parseSummary,
  parseTotal,
} from './parse-result.ts'
import type { Cursor, SearchRequest } from './request.ts'

export { isSearchable } from './parse-filter.ts'
export type { SearchRequest } from './request.ts'

export interface ParseOptions {
  /** This server's public base URL: absolute references to it are matched as local ones. */
  base?: string
  /** Request time, for `ap` on dates (search.html#prefix). */
  now?: number
  /** A system search: `_type` is read by the caller and kept in the self link. */
  system?: boolean
}

/** Parameters that change nothing in the result or are handled before search. */
const SILENT = new Set(['_format', '_pretty'])

/** Result and special parameters this server does not implement. */
const UNSUPPORTED = new Set([
  '_contained',
  '_containedType',
  '_list',
  '_query',
  '_filter',
  '_text',
  '_content',
  '_offset',
  '_score',
])

export function parseSearch(
  typeOrTypes: string | readonly string[],
  query: URLSearchParams,
  options: ParseOptions = {}
): SearchRequest {
  const types = typeof typeOrTypes === 'string' ? [typeOrTypes] : [...typeOrTypes]
  const request: SearchRequest = {
    types,
    filters: [],
    count: DEFAULT_COUNT,
    sort: [],
    total: 'none',
    include: [],
    revinclude: [],
    controls: [],
    ignored: [],
  }
  const ctx = { base: options.base, now: options.now ?? Date.now(), hops: { left: MAX_CHAIN_HOPS } }
  let cursor: string | undefined
  const seen = new Set<string>()
  const control = (key: string, raw: string) => request.controls.push([key, raw])
  const budget = new Budget()
  for (const [key, raw] of query) {
    const colon = key.indexOf(':')
    const name = colon < 0 ? key : key.slice(0, colon)
    const modifier = colon < 0 ? undefined : key.slice(colon + 1)
    if (SILENT.has(key)) continue
    if (['_count', '_cursor', '_sort', '_total', '_summary', '_elements', '_type'].includes(name)) {
      if (modifier !== undefined) throw badRequest(`${name} takes no modifier`, [key])
      if (seen.has(name)) {
        request.ignored.push({
          name: key,
          reason: `${name} was given more than once; the first applies`,
        })
        continue
      }
      seen.add(name)
    }
    switch (name) {
      case '_count':
        request.count = parseCount(raw)
        continue
      case '_cursor':
        cursor = raw
        continue
      case '_sort':
        request.sort = parseSort(types, raw, request.ignored)
        continue
      case '_total':
        request.total = parseTotal(raw)
        continue
      case '_summary':
        request.summary = parseSummary(raw)
        continue
      case '_elements':
        request.elements = parseElements(raw)
        continue
      case '_type':
        if (options.system) control('_type', raw)
        else
          request.ignored.push({
            name: key,
            reason: '_type applies to a system search (GET /fhir?_type=…)',
          })
        continue
      case '_include':
      case '_revinclude': {
        budget.include(key)
        const specs = parseInclude(name, modifier, raw, types)
        if (typeof specs === 'string')
          request.ignored.push({ name: `${key}=${raw}`, reason: specs })
        else {
          request[name === '_include' ? 'include' : 'revinclude'].push(...specs)
          control(key, raw)
        }
        continue
      }
    }
    if (UNSUPPORTED.has(name)) {
      request.ignored.push({ name: key, reason: `${name} is not supported by this server` })
      continue
    }
    if (raw === '') {
      request.ignored.push({ name: key, reason: 'the parameter has no value' })
      continue
    }
    budget.filter(key, raw)
    const parsed = parseFilter(ctx, types, key, raw)
    if ('ignored' in parsed) request.ignored.push({ name: key, reason: parsed.ignored })
    else {
      budget.parsed(key, parsed.filter)
      request.filters.push({ name: key, raw, filter: parsed.filter })
    }
  }
  if (request.sort.length) control('_sort', sortText(request))
  if (request.total !== 'none') control('_total', request.total)
  if (request.summary) control('_summary', request.summary)
  if (request.elements) control('_elements', request.elements.join(','))
  control('_count', String(request.count))
  if (cursor !== undefined)
    request.cursor = decodeCursor(cursor, sortText(request), request.sort.length)
  return request
}

/** The applied `_sort` as written back into links (and the order a cursor was made for). */
function sortText(request: SearchRequest): string {
  return request.sort.map((k) => (k.desc ? `-${k.name}` : k.name)).join(',')
}

/** The parameters a search honoured, in order, as they go into its links (without _cursor). */
export function appliedParams(request: SearchRequest): [string, string][] {
  const filters = request.filters.filter((f) => f.name !== '') // '' : the compartment, named by the path
  return [...filters.map((f): [string, string] => [f.name, f.raw]), ...request.controls]
}

/** The `_cursor` value for a position in this search's order. */
export function cursorParam(request: SearchRequest, cursor: Cursor): string {
  return encodeCursor(cursor, sortText(request))
}

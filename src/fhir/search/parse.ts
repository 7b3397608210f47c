// Query string -> search request: filters on supported parameters, result controls, and the list of
// parameters that were not applied (unknown, or of a type this server does not search yet).
// Comma is OR within one parameter, a repeated parameter is AND (R4 search.html#combining).

import { badRequest } from '../outcome.ts'
import { searchParam } from './registry.ts'
import type { SearchParamDef } from './types.ts'
import { splitEscaped, unescapeValue } from './escape.ts'

export const DEFAULT_COUNT = 20
export const MAX_COUNT = 1000

/** A token value: `system` undefined means any system; '' means "no system" (`|code`). */
export interface TokenValue {
  system?: string
  code?: string
}

export type Filter =
  | { kind: 'id'; name: string; raw: string; values: string[] }
  | { kind: 'token'; name: string; raw: string; def: SearchParamDef; values: TokenValue[] }

export interface SearchRequest {
  type: string
  filters: Filter[]
  count: number
  /** Keyset cursor: only resources with pk greater than this (and the cursor as sent). */
  after?: number
  cursor?: string
  /** Parameters that were ignored, with why. */
  ignored: { name: string; reason: string }[]
}

// Result parameters this server does not implement yet: reported as ignored, never silently dropped.
const RESULT_PARAMS = new Set(['_sort', '_total', '_summary', '_elements', '_include', '_revinclude', '_contained', '_containedType'])

export function parseSearch(type: string, query: URLSearchParams): SearchRequest {
  const request: SearchRequest = { type, filters: [], count: DEFAULT_COUNT, ignored: [] }
  for (const [key, raw] of query) {
    const [name, modifier, ...rest] = key.split(':')
    if (key === '_format') continue
    if (key === '_count') {
      request.count = parseCount(raw)
      continue
    }
    if (key === '_cursor') {
      request.after = parseCursor(raw)
      request.cursor = raw
      continue
    }
    if (RESULT_PARAMS.has(name!)) {
      request.ignored.push({ name: key, reason: 'this result parameter is not supported yet' })
      continue
    }
    if (rest.length) throw badRequest(`Invalid search parameter name ${JSON.stringify(key)}`, [key])
    if (name === '_id') {
      if (modifier !== undefined) throw unsupportedModifier(key)
      request.filters.push({ kind: 'id', name: key, raw, values: splitEscaped(raw, ',').map(unescapeValue) })
      continue
    }
    const def = searchParam(type, name!)
    if (!def) {
      request.ignored.push({ name: key, reason: `unknown search parameter for ${type}` })
      continue
    }
    if (def.type !== 'token' || !def.expression) {
      request.ignored.push({ name: key, reason: `${def.type} search parameters are not supported yet` })
      continue
    }
    if (modifier !== undefined) throw unsupportedModifier(key)
    request.filters.push({ kind: 'token', name: key, raw, def, values: parseTokens(key, raw) })
  }
  return request
}

function unsupportedModifier(key: string) {
  return badRequest(`Unsupported modifier in search parameter ${JSON.stringify(key)}`, [key])
}

function parseCount(raw: string): number {
  if (!/^\d{1,6}$/.test(raw)) throw badRequest(`_count must be a non-negative integer, got ${JSON.stringify(raw)}`, ['_count'])
  return Math.min(Number(raw), MAX_COUNT)
}

/** Token values per R4 search.html#token: `code`, `system|code`, `|code`, `system|`. */
export function parseTokens(key: string, raw: string): TokenValue[] {
  return splitEscaped(raw, ',').map((part) => {
    const pieces = splitEscaped(part, '|')
    if (pieces.length > 2) throw badRequest(`Invalid token ${JSON.stringify(part)} in ${key}`, [key])
    if (pieces.length === 1) {
      const code = unescapeValue(pieces[0]!)
      if (!code) throw badRequest(`Empty value in search parameter ${key}`, [key])
      return { code }
    }
    const system = unescapeValue(pieces[0]!)
    const code = unescapeValue(pieces[1]!)
    if (!system && !code) throw badRequest(`Invalid token "|" in ${key}`, [key])
    return code ? { system, code } : { system }
  })
}

/** The parameters a search honoured, in order, as they go into its `self` link. */
export function appliedParams(request: SearchRequest): [string, string][] {
  const applied: [string, string][] = request.filters.map((f) => [f.name, f.raw])
  applied.push(['_count', String(request.count)])
  if (request.cursor !== undefined) applied.push(['_cursor', request.cursor])
  return applied
}

export function encodeCursor(pk: number): string {
  return btoa(`pk:${pk}`).replace(/=+$/, '')
}

function parseCursor(raw: string): number {
  let decoded = ''
  try {
    decoded = atob(raw)
  } catch {
    // fall through to the error below
  }
  const match = /^pk:(\d{1,15})$/.exec(decoded)
  if (!match) throw badRequest('Invalid _cursor: use the next link returned by the server', ['_cursor'])
  return Number(match[1])
}

// Search request -> one parameterised SQL statement. Values are always bound; the only identifiers
// are fixed table names chosen here by parameter type. Results are keyset-paged on pk.

import { badRequest } from '../outcome.ts'
import type { Filter, SearchRequest, TokenValue } from './parse.ts'

/** D1 allows at most 100 bound parameters per statement. */
const MAX_BINDS = 100

class Binder {
  readonly values: unknown[] = []
  bind(value: unknown): string {
    this.values.push(value)
    if (this.values.length > MAX_BINDS) {
      throw badRequest(`The search has too many values (a query may use at most ${MAX_BINDS - 4})`)
    }
    return `?${this.values.length}`
  }
}

function tokenClause(value: TokenValue, b: Binder): string {
  const parts: string[] = []
  if (value.code !== undefined) parts.push(`code = ${b.bind(value.code)}`)
  if (value.system !== undefined) parts.push(`system = ${b.bind(value.system)}`)
  return `(${parts.join(' AND ')})`
}

function filterSql(filter: Filter, b: Binder): string {
  switch (filter.kind) {
    case 'id':
      return `id IN (${filter.values.map((v) => b.bind(v)).join(', ')})`
    case 'token':
      return (
        `pk IN (SELECT pk FROM ix_token WHERE sp = ${b.bind(filter.def.sp)} AND ` +
        `(${filter.values.map((v) => tokenClause(v, b)).join(' OR ')}))`
      )
  }
}

export function searchSql(request: SearchRequest): { sql: string; params: unknown[] } {
  const b = new Binder()
  const where = [`type = ${b.bind(request.type)}`, 'deleted = 0']
  for (const filter of request.filters) where.push(filterSql(filter, b))
  if (request.after !== undefined) where.push(`pk > ${b.bind(request.after)}`)
  const sql = `SELECT pk, id, body FROM resource WHERE ${where.join(' AND ')} ORDER BY pk LIMIT ${b.bind(request.count + 1)}`
  return { sql, params: b.values }
}

/** A matched resource: its row key, id and stored JSON text (spliced into the Bundle unparsed). */
export interface SearchRow {
  pk: number
  id: string
  body: string
}

export async function runSearch(
  db: D1Database,
  request: SearchRequest
): Promise<{ rows: SearchRow[]; more: boolean }> {
  if (request.count === 0) return { rows: [], more: false }
  const { sql, params } = searchSql(request)
  const { results } = await db.prepare(sql).bind(...params).all<SearchRow>()
  return { rows: results.slice(0, request.count), more: results.length > request.count }
}

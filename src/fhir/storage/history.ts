// Reading versions (R4 http.html#vread, #history): one version of a resource, and pages of the
// history of a resource, a type or the whole server, newest first, keyset-paged so a page is one
// indexed range scan. Bodies stay JSON text: a history page is spliced into its Bundle unparsed.

import type { WriteMethod } from './write-ops.ts'

export interface HistoryRow {
  pk: number
  type: string
  id: string
  version: number
  lastUpdated: number
  method: WriteMethod
  /** The stored JSON text; null for a DELETE version. */
  body: string | null
}

/** Where the next page starts: versions strictly older than this one (in history order). */
export interface HistoryCursor {
  lastUpdated: number
  pk: number
  version: number
}

export interface HistoryFilter {
  /** Only versions written at or after this time (epoch ms), `_since`. */
  since?: number
  /** Only versions that were current at some time in [lo, hi] (epoch ms), `_at`. */
  at?: [lo: number, hi: number]
  after?: HistoryCursor
  limit: number
}

interface HistoryRecord {
  pk: number
  type: string
  id: string
  version: number
  last_updated: number
  method: WriteMethod
  body: string | null
}

const COLUMNS = 'h.pk, h.type, h.id, h.version, h.last_updated, h.method, h.body'

/** A resource's version `version`: undefined when the resource never existed, null when it has no such version. */
export async function readVersion(
  db: D1Database,
  type: string,
  id: string,
  version: number
): Promise<HistoryRow | null | undefined> {
  const row = await db
    .prepare(
      `SELECT r.pk AS rpk, ${COLUMNS} FROM resource r ` +
        'LEFT JOIN resource_history h ON h.pk = r.pk AND h.version = ?3 WHERE r.type = ?1 AND r.id = ?2'
    )
    .bind(type, id, version)
    .first<HistoryRecord & { rpk: number }>()
  if (!row) return undefined
  return row.version === null ? null : toRow(row)
}

class Params {
  readonly values: unknown[] = []
  add(value: unknown): string {
    this.values.push(value)
    return `?${this.values.length}`
  }
}

function filterSql(filter: HistoryFilter, p: Params): string[] {
  const where: string[] = []
  if (filter.since !== undefined) where.push(`h.last_updated >= ${p.add(filter.since)}`)
  if (filter.at) {
    where.push(
      `h.last_updated <= ${p.add(filter.at[1])}`,
      'NOT EXISTS (SELECT 1 FROM resource_history n WHERE n.pk = h.pk AND n.version = h.version + 1 ' +
        `AND n.last_updated <= ${p.add(filter.at[0])})`
    )
  }
  return where
}

/** The history of one resource, newest version first; undefined when the resource never existed. */
export async function instanceHistory(
  db: D1Database,
  type: string,
  id: string,
  filter: HistoryFilter
): Promise<HistoryRow[] | undefined> {
  const p = new Params()
  const on = ['h.pk = r.pk', ...filterSql(filter, p)]
  if (filter.after) on.push(`h.version < ${p.add(filter.after.version)}`)
  const sql =
    `SELECT r.pk AS rpk, ${COLUMNS} FROM resource r LEFT JOIN resource_history h ON ${on.join(' AND ')} ` +
    `WHERE r.type = ${p.add(type)} AND r.id = ${p.add(id)} ORDER BY h.version DESC LIMIT ${p.add(filter.limit)}`
  const { results } = await db
    .prepare(sql)
    .bind(...p.values)
    .all<HistoryRecord & { rpk: number }>()
  if (!results.length) return undefined
  return results.filter((r) => r.version !== null).map(toRow)
}

/** The history of every resource of `type` (null: of all types), newest first. */
export async function typeHistory(
  db: D1Database,
  type: string | null,
  filter: HistoryFilter
): Promise<HistoryRow[]> {
  const p = new Params()
  const where = type === null ? [] : [`h.type = ${p.add(type)}`]
  where.push(...filterSql(filter, p))
  if (filter.after) {
    const { lastUpdated, pk, version } = filter.after
    where.push(
      `(h.last_updated, h.pk, h.version) < (${p.add(lastUpdated)}, ${p.add(pk)}, ${p.add(version)})`
    )
  }
  const sql =
    `SELECT ${COLUMNS} FROM resource_history h ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ` +
    `ORDER BY h.last_updated DESC, h.pk DESC, h.version DESC LIMIT ${p.add(filter.limit)}`
  const { results } = await db
    .prepare(sql)
    .bind(...p.values)
    .all<HistoryRecord>()
  return results.map(toRow)
}

function toRow(row: HistoryRecord): HistoryRow {
  return {
    pk: row.pk,
    type: row.type,
    id: row.id,
    version: row.version,
    lastUpdated: row.last_updated,
    method: row.method,
    body: row.body,
  }
}

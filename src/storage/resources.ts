// The FHIR resource repository over D1. Every write is ONE db.batch(): the resource row, its history
// row and its index rows together, so a failure leaves nothing behind. The history key (pk, version)
// is the optimistic lock: two writers that read the same version cannot both commit.

import type { IndexRows } from '../fhir/search/types.ts'
import { extractIndexRows } from '../fhir/search/extract.ts'
import { insertIndexRows, presentList, replaceIndexRows } from './index-rows.ts'

export type FhirResource = Record<string, unknown> & { resourceType: string; id: string }

export interface StoredRow {
  pk: number
  version: number
  lastUpdated: number
  deleted: boolean
  body: FhirResource
}

export type WriteMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/** Thrown when another writer changed the resource between our read and our write. */
export class WriteConflict extends Error {
  constructor() {
    super('the resource was changed by another request')
    this.name = 'WriteConflict'
  }
}

interface ResourceRecord {
  pk: number
  version: number
  last_updated: number
  deleted: number
  body: string
}

export async function readResource(db: D1Database, type: string, id: string): Promise<StoredRow | null> {
  const row = await db
    .prepare('SELECT pk, version, last_updated, deleted, body FROM resource WHERE type = ?1 AND id = ?2')
    .bind(type, id)
    .first<ResourceRecord>()
  return row ? toStored(row) : null
}

function toStored(row: ResourceRecord): StoredRow {
  return {
    pk: row.pk,
    version: row.version,
    lastUpdated: row.last_updated,
    deleted: row.deleted === 1,
    body: JSON.parse(row.body) as FhirResource,
  }
}

/** The body as stored: server-owned `id` and `meta.versionId` / `meta.lastUpdated`, then the rest. */
export function withServerFields(
  resource: Record<string, unknown>,
  type: string,
  id: string,
  version: number,
  lastUpdated: number
): FhirResource {
  const { resourceType: _type, id: _id, meta, ...rest } = resource
  const clientMeta = meta && typeof meta === 'object' && !Array.isArray(meta) ? meta : {}
  const { versionId: _v, lastUpdated: _l, ...metaRest } = clientMeta as Record<string, unknown>
  return {
    resourceType: type,
    id,
    meta: { ...metaRest, versionId: String(version), lastUpdated: new Date(lastUpdated).toISOString() },
    ...rest,
  }
}

/** True when `resource` would store exactly the current version's content (a no-op update). */
export function isUnchanged(current: StoredRow, resource: Record<string, unknown>): boolean {
  if (current.deleted) return false
  const { resourceType: type, id } = current.body
  const candidate = withServerFields(resource, type, id, current.version, current.lastUpdated)
  return JSON.stringify(candidate) === JSON.stringify(current.body)
}

/**
 * Writes `resource` as the next version after `current` (null: a new resource, version 1).
 * Throws WriteConflict when another writer got there first; nothing is written in that case.
 */
export async function writeResource(
  db: D1Database,
  type: string,
  id: string,
  resource: Record<string, unknown>,
  current: StoredRow | null,
  method: WriteMethod
): Promise<StoredRow> {
  const now = Date.now()
  const version = (current?.version ?? 0) + 1
  const body = withServerFields(resource, type, id, version, now)
  const text = JSON.stringify(body)
  const rows = extractIndexRows(body)
  const statements: D1PreparedStatement[] = []
  if (!current) {
    statements.push(
      db
        .prepare(
          'INSERT INTO resource (type, id, version, last_updated, deleted, body, present) VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6)'
        )
        .bind(type, id, version, now, text, presentList(rows)),
      db
        .prepare(
          'INSERT INTO resource_history (pk, version, type, id, last_updated, method, body) ' +
            'SELECT pk, ?3, ?1, ?2, ?4, ?5, ?6 FROM resource WHERE type = ?1 AND id = ?2'
        )
        .bind(type, id, version, now, method, text),
      ...insertIndexRows(db, rows, { type, id })
    )
  } else {
    const before: IndexRows = current.deleted ? emptyRows() : extractIndexRows(current.body)
    statements.push(
      db
        .prepare(
          'INSERT INTO resource_history (pk, version, type, id, last_updated, method, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)'
        )
        .bind(current.pk, version, type, id, now, method, text),
      db
        .prepare(
          'UPDATE resource SET version = ?2, last_updated = ?3, deleted = 0, body = ?4, present = ?5 WHERE pk = ?1 AND version = ?6'
        )
        .bind(current.pk, version, now, text, presentList(rows), current.version),
      ...replaceIndexRows(db, before, rows, current.pk)
    )
  }
  try {
    const results = await db.batch(statements)
    const pk = current?.pk ?? (await pkOf(db, type, id, results))
    return { pk, version, lastUpdated: now, deleted: false, body }
  } catch (err) {
    if (isConstraintError(err)) throw new WriteConflict()
    throw err
  }
}

async function pkOf(db: D1Database, type: string, id: string, results: D1Result[]): Promise<number> {
  const inserted = results[0]?.meta.last_row_id
  if (typeof inserted === 'number' && inserted > 0) return inserted
  const row = await db.prepare('SELECT pk FROM resource WHERE type = ?1 AND id = ?2').bind(type, id).first<{ pk: number }>()
  return row!.pk
}

function emptyRows(): IndexRows {
  return { token: [], tokenText: [], string: [], date: [], number: [], quantity: [], ref: [], uri: [] }
}

function isConstraintError(err: unknown): boolean {
  return /constraint/i.test(String((err as Error)?.message ?? err))
}

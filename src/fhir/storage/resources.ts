// The FHIR resource repository over D1. A write is planned as statements (resource row, history row,
// index rows) and committed as ONE db.batch(), so a failure leaves nothing behind; a transaction
// Bundle commits the statements of all its entries in one batch. The history key (pk, version) is the
// optimistic lock: two writers that read the same version both insert version + 1, and the second
// batch fails as a whole (WriteConflict).

import type { IndexRows } from '../index/types.ts'
import { extractIndexRows } from '../index/extract.ts'
import { insertIndexRows, presentList, replaceIndexRows } from './index-rows.ts'
import { toStatements, type WriteOp } from './write-ops.ts'

export type FhirResource = Record<string, unknown> & { resourceType: string; id: string }

/** The current row of a resource (a deleted resource keeps its last body). */
export interface StoredRow {
  pk: number
  version: number
  lastUpdated: number
  deleted: boolean
  body: FhirResource
}

export type WriteMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/** The version a write produces: `body` is null for a delete. */
export interface WrittenVersion {
  type: string
  id: string
  version: number
  lastUpdated: number
  body: FhirResource | null
}

/** Steps that write one version, not yet executed, and the version they write. */
export interface PlannedWrite {
  statements: WriteOp[]
  written: WrittenVersion
}

/** Thrown when another writer changed the resource between our read and our write. */
export class WriteConflict extends Error {
  constructor() {
    super('the resource was changed by another request')
    this.name = 'WriteConflict'
  }
}

interface ResourceRecord {
  pk: number
  type: string
  id: string
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

/** The current row with its body as stored JSON text (a read answers it without parsing). */
export interface StoredText {
  version: number
  lastUpdated: number
  deleted: boolean
  text: string
}

export async function readResourceText(db: D1Database, type: string, id: string): Promise<StoredText | null> {
  const row = await db
    .prepare('SELECT version, last_updated, deleted, body FROM resource WHERE type = ?1 AND id = ?2')
    .bind(type, id)
    .first<ResourceRecord>()
  return row && { version: row.version, lastUpdated: row.last_updated, deleted: row.deleted === 1, text: row.body }
}

/** `Type/id`, the key of readResources' map. */
export const resourceKey = (type: string, id: string) => `${type}/${id}`

/** The current rows of many resources in one query (ids passed as one JSON parameter). */
export async function readResources(
  db: D1Database,
  keys: readonly { type: string; id: string }[]
): Promise<Map<string, StoredRow>> {
  const found = new Map<string, StoredRow>()
  if (!keys.length) return found
  const { results } = await db
    .prepare(
      'SELECT r.pk, r.type, r.id, r.version, r.last_updated, r.deleted, r.body FROM json_each(?1) k ' +
        'JOIN resource r ON r.type = k.value ->> 0 AND r.id = k.value ->> 1'
    )
    .bind(JSON.stringify(keys.map((k) => [k.type, k.id])))
    .all<ResourceRecord>()
  for (const row of results) found.set(resourceKey(row.type, row.id), toStored(row))
  return found
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
 * The time a new version of `current` is stamped with: now, but always after the version it
 * replaces, so versions of one resource never go back in time (isolates' clocks may differ).
 */
export function nextTimestamp(current: StoredRow | null | undefined, now = Date.now()): number {
  return current ? Math.max(now, current.lastUpdated + 1) : now
}

/** Statements that write `resource` as the next version after `current` (null: version 1). */
export function planWrite(
  db: D1Database,
  type: string,
  id: string,
  resource: Record<string, unknown>,
  current: StoredRow | null,
  method: WriteMethod,
  now: number
): PlannedWrite {
  const version = (current?.version ?? 0) + 1
  const body = withServerFields(resource, type, id, version, now)
  const text = JSON.stringify(body)
  const rows = extractIndexRows(body)
  const statements: WriteOp[] = []
  if (!current) {
    // A new resource: its rows are grouped with other new resources' rows (write-ops.ts); the
    // UNIQUE (type, id) key makes a concurrent create of the same id fail the whole batch.
    statements.push(
      { kind: 'resource', row: [type, id, version, now, text, presentList(rows)] },
      { kind: 'history', row: [type, id, version, now, method, text] },
      ...insertIndexRows(rows, { type, id })
    )
  } else {
    const before: IndexRows = current.deleted ? emptyRows() : extractIndexRows(current.body)
    statements.push(
      sql(historyInsert(db, current.pk, version, type, id, now, method, text)),
      sql(
        db
          .prepare(
            'UPDATE resource SET version = ?2, last_updated = ?3, deleted = 0, body = ?4, present = ?5 WHERE pk = ?1 AND version = ?6'
          )
          .bind(current.pk, version, now, text, presentList(rows), current.version)
      ),
      ...replaceIndexRows(db, before, rows, current.pk)
    )
  }
  return { statements, written: { type, id, version, lastUpdated: now, body } }
}

/** Statements that delete the live resource `current`: a DELETE version, no body, no index rows. */
export function planDelete(db: D1Database, type: string, id: string, current: StoredRow, now: number): PlannedWrite {
  const version = current.version + 1
  const statements: WriteOp[] = [
    sql(historyInsert(db, current.pk, version, type, id, now, 'DELETE', null)),
    sql(
      db
        .prepare(
          'UPDATE resource SET version = ?2, last_updated = ?3, deleted = 1, present = NULL WHERE pk = ?1 AND version = ?4'
        )
        .bind(current.pk, version, now, current.version)
    ),
    ...replaceIndexRows(db, extractIndexRows(current.body), emptyRows(), current.pk),
  ]
  return { statements, written: { type, id, version, lastUpdated: now, body: null } }
}

// First in each plan: when another writer took this version, the batch fails here before any change.
function historyInsert(
  db: D1Database,
  pk: number,
  version: number,
  type: string,
  id: string,
  now: number,
  method: WriteMethod,
  text: string | null
): D1PreparedStatement {
  return db
    .prepare(
      'INSERT INTO resource_history (pk, version, type, id, last_updated, method, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)'
    )
    .bind(pk, version, type, id, now, method, text)
}

const sql = (statement: D1PreparedStatement): WriteOp => ({ kind: 'sql', statement })

/** Runs planned steps as one atomic batch; WriteConflict when a version or id was taken. */
export async function commit(db: D1Database, steps: WriteOp[]): Promise<void> {
  if (!steps.length) return
  try {
    await db.batch(toStatements(db, steps))
  } catch (err) {
    if (isConstraintError(err)) throw new WriteConflict()
    throw err
  }
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
): Promise<WrittenVersion> {
  const plan = planWrite(db, type, id, resource, current, method, nextTimestamp(current))
  await commit(db, plan.statements)
  return plan.written
}

// No index rows, whatever tables the extractor knows (it returns empty lists for a non-resource).
const emptyRows = (): IndexRows => extractIndexRows({})

function isConstraintError(err: unknown): boolean {
  return /constraint/i.test(String((err as Error)?.message ?? err))
}

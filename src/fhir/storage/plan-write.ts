// Planning one version of a resource as plain data (write-ops.ts): the resource row, the history row
// and the index rows, built from the current row without touching the database. A new resource is an
// insert guarded by UNIQUE (type, id); a new version of an existing one inserts history row
// (pk, version + 1) first, the optimistic lock, then updates the resource row only if it is still at
// the version that was read. commit.ts runs a plan (or a transaction's plans) as one batch.

import { extractIndexRows } from '../index/extract.ts'
import type { IndexRows } from '../index/types.ts'
import { insertIndexRows, presentList, replaceIndexRows } from './index-rows.ts'
import type { FhirResource, StoredRow, WrittenVersion } from './resources.ts'
import type { WriteMethod, WriteOp } from './write-ops.ts'

/** The ops that write one version, not yet executed, and the version they write. */
export interface PlannedWrite {
  ops: WriteOp[]
  written: WrittenVersion
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
    meta: {
      ...metaRest,
      versionId: String(version),
      lastUpdated: new Date(lastUpdated).toISOString(),
    },
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

// No index rows, whatever tables the extractor knows (it returns empty lists for a non-resource).
const emptyRows = (): IndexRows => extractIndexRows({})

/** The ops that write `resource` as the next version after `current` (null: version 1). */
export function planWrite(
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
  const present = presentList(rows)
  const history = {
    kind: 'insertHistory',
    type,
    id,
    version,
    lastUpdated: now,
    method,
    body: text,
  } as const
  let ops: WriteOp[]
  if (!current) {
    // A new resource: its rows are grouped with other new resources' rows (commit.ts); the
    // UNIQUE (type, id) key makes a concurrent create of the same id fail the whole batch.
    ops = [
      { kind: 'insertResource', type, id, version, lastUpdated: now, body: text, present },
      { ...history, resource: { type, id } },
      ...insertIndexRows(rows, { type, id }),
    ]
  } else {
    const before: IndexRows = current.deleted ? emptyRows() : extractIndexRows(current.body)
    const { pk } = current
    ops = [
      { ...history, resource: { pk } },
      {
        kind: 'updateResource',
        pk,
        expectedVersion: current.version,
        version,
        lastUpdated: now,
        body: text,
        present,
      },
      ...replaceIndexRows(before, rows, pk),
    ]
  }
  return { ops, written: { type, id, version, lastUpdated: now, body, text } }
}

/** The ops that delete the live resource `current`: a DELETE version, no body, no index rows. */
export function planDelete(
  type: string,
  id: string,
  current: StoredRow,
  now: number
): PlannedWrite {
  const version = current.version + 1
  const { pk } = current
  const ops: WriteOp[] = [
    {
      kind: 'insertHistory',
      resource: { pk },
      type,
      id,
      version,
      lastUpdated: now,
      method: 'DELETE',
      body: null,
    },
    { kind: 'markDeleted', pk, expectedVersion: current.version, version, lastUpdated: now },
    ...replaceIndexRows(extractIndexRows(current.body), emptyRows(), pk),
  ]
  return { ops, written: { type, id, version, lastUpdated: now, body: null } }
}

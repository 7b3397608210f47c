// Index rows as planned writes: all of a new resource's rows, or, for an update or a delete, only the
// rows that differ between the old body's rows and the new body's (every index entry is a billed row
// write). The old rows are recomputed from the old body by the same deterministic extractor, so the
// rows deleted are exactly the rows stored. Tables are visited in the catalogue's order.

import { INDEX_KINDS, INDEX_TABLES, type IndexKind, type IndexRow } from '../index/tables.ts'
import type { IndexRows } from '../index/types.ts'
import type { ResourceRef, WriteOp } from './write-ops.ts'

/** A row's identity: `sp` and its value columns (the table's primary key, less pk). */
function rowKey(kind: IndexKind, row: IndexRow): string {
  const columns: readonly string[] = INDEX_TABLES[kind].columns
  return JSON.stringify([
    row.sp,
    ...columns.map((c) => (row as unknown as Record<string, unknown>)[c]),
  ])
}

/** Ops that insert every row of a resource (a new one, or one coming back from deleted). */
export function insertIndexRows(rows: IndexRows, resource: ResourceRef): WriteOp[] {
  const ops: WriteOp[] = []
  for (const table of INDEX_KINDS) {
    const list = rows[table]
    if (list.length) ops.push({ kind: 'insertIndexRows', table, resource, rows: list } as WriteOp)
  }
  return ops
}

/** Ops that turn `before` into `after` for resource `pk`, touching only the rows that differ. */
export function replaceIndexRows(before: IndexRows, after: IndexRows, pk: number): WriteOp[] {
  const ops: WriteOp[] = []
  for (const table of INDEX_KINDS) {
    const old: IndexRow[] = before[table]
    const next: IndexRow[] = after[table]
    const oldKeys = new Set(old.map((r) => rowKey(table, r)))
    const nextKeys = new Set(next.map((r) => rowKey(table, r)))
    const removed = old.filter((r) => !nextKeys.has(rowKey(table, r)))
    const added = next.filter((r) => !oldKeys.has(rowKey(table, r)))
    if (removed.length) ops.push({ kind: 'deleteIndexRows', table, pk, rows: removed } as WriteOp)
    if (added.length)
      ops.push({ kind: 'insertIndexRows', table, resource: { pk }, rows: added } as WriteOp)
  }
  return ops
}

/** The `present` column: the search parameters that have at least one value (for `:missing`). */
export function presentList(rows: IndexRows): string {
  const sps = new Set<number>()
  for (const table of INDEX_KINDS) {
    for (const row of rows[table] as IndexRow[]) sps.add(row.sp)
  }
  return sps.size ? `,${[...sps].sort((a, b) => a - b).join(',')},` : ''
}

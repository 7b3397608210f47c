// Index rows as write steps: each table's rows go in as ONE bound JSON array read with json_each (see
// write-ops.ts, which also groups them across resources), so any number of values stays within D1's
// 100-bound-parameter limit. Updates diff the old body's
// rows against the new body's and touch only what changed (every index entry is a billed row write).

import type { IndexRows } from '../index/types.ts'
import type { WriteOp } from './write-ops.ts'

type Table = keyof IndexRows

/** Table name and columns (after `sp`) for each kind of index row; the only identifiers used. */
const TABLES: Record<Table, { name: string; columns: readonly string[] }> = {
  token: { name: 'ix_token', columns: ['code', 'system'] },
  tokenText: { name: 'ix_token_text', columns: ['norm'] },
  string: { name: 'ix_string', columns: ['norm', 'exact'] },
  date: { name: 'ix_date', columns: ['lo', 'hi'] },
  number: { name: 'ix_number', columns: ['v', 'lo', 'hi'] },
  quantity: { name: 'ix_quantity', columns: ['code', 'system', 'v', 'lo', 'hi'] },
  ref: { name: 'ix_ref', columns: ['target'] },
  uri: { name: 'ix_uri', columns: ['uri'] },
  composite: { name: 'ix_composite', columns: ['key', 'a', 'b', 'v', 'lo', 'hi'] },
}

/** How a step names the owning resource row: a known pk, or a lookup by type and id. */
export type PkRef = { pk: number } | { type: string; id: string }

function tuples(table: Table, rows: IndexRows[Table]): unknown[][] {
  const { columns } = TABLES[table]
  return (rows as unknown as Record<string, unknown>[]).map((row) => [row.sp, ...columns.map((c) => row[c])])
}

function deleteStatement(db: D1Database, table: Table, rows: unknown[][], pk: number): D1PreparedStatement {
  const { name, columns } = TABLES[table]
  const keys = ['sp', ...columns]
  const picks = keys.map((_, i) => `value ->> ${i}`).join(', ')
  return db
    .prepare(`DELETE FROM ${name} WHERE pk = ?2 AND (${keys.join(', ')}) IN (SELECT ${picks} FROM json_each(?1))`)
    .bind(JSON.stringify(rows), pk)
}

function insertOp(table: Table, rows: unknown[][], ref: PkRef): WriteOp {
  const { name, columns } = TABLES[table]
  return { kind: 'index', table: name, columns, rows, ref }
}

/** Steps that insert every row of a new resource (grouped across resources by write-ops.ts). */
export function insertIndexRows(rows: IndexRows, ref: PkRef): WriteOp[] {
  const ops: WriteOp[] = []
  for (const table of Object.keys(TABLES) as Table[]) {
    const list = tuples(table, rows[table])
    if (list.length) ops.push(insertOp(table, list, ref))
  }
  return ops
}

/** Steps that turn `before` into `after` for resource `pk`, touching only the rows that differ. */
export function replaceIndexRows(db: D1Database, before: IndexRows, after: IndexRows, pk: number): WriteOp[] {
  const ops: WriteOp[] = []
  for (const table of Object.keys(TABLES) as Table[]) {
    const old = tuples(table, before[table])
    const next = tuples(table, after[table])
    const oldKeys = new Set(old.map((t) => JSON.stringify(t)))
    const nextKeys = new Set(next.map((t) => JSON.stringify(t)))
    const removed = old.filter((t) => !nextKeys.has(JSON.stringify(t)))
    const added = next.filter((t) => !oldKeys.has(JSON.stringify(t)))
    if (removed.length) ops.push({ kind: 'sql', statement: deleteStatement(db, table, removed, pk) })
    if (added.length) ops.push(insertOp(table, added, { pk }))
  }
  return ops
}

/** The `present` column: the search parameters that have at least one value (for `:missing`). */
export function presentList(rows: IndexRows): string {
  const sps = new Set<number>()
  for (const table of Object.keys(TABLES) as Table[]) {
    for (const row of rows[table] as { sp: number }[]) sps.add(row.sp)
  }
  return sps.size ? `,${[...sps].sort((a, b) => a - b).join(',')},` : ''
}

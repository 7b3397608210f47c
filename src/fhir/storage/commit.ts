// The one place planned writes (write-ops.ts) become SQL, and `commit`, which runs a plan as ONE
// db.batch(): atomic in D1, so a failure leaves nothing behind. A plan for one resource is a handful of
// ops; a transaction of hundreds of resources would be thousands of statements if each op were its own.
// So the rows of every new resource, their first history rows, and each index table's new rows go in
// as ONE statement each (a bound JSON array read with json_each, chunked to stay well inside D1's value
// size limit). Ops that must run as written (optimistic-lock history inserts and updates of existing
// resources, index deletes) stay single statements and run first, in plan order, after the guards of
// conditional creates (`requireNoMatch`), which fail the batch when their criteria match. Table and
// column names come from the index catalogue (index/tables.ts).

import { INDEX_TABLES, type IndexKind, type IndexRow } from '../index/tables.ts'
import { asCommitError } from './write-conflict.ts'
import type { RequireNoMatch, WriteOp } from './write-ops.ts'

/**
 * Largest JSON parameter per grouped statement, in UTF-8 bytes. D1 caps a string value at 2,000,000
 * bytes; text outside ASCII takes up to 3 bytes a character, so the size is counted in bytes.
 */
const MAX_PARAM_BYTES = 1_500_000

const NON_ASCII = /[^\x00-\x7f]/g

/** An upper bound of the UTF-8 size of `text` (a non-ASCII UTF-16 unit is at most 3 bytes). */
function utf8Bound(text: string): number {
  return text.length + 2 * (text.match(NON_ASCII)?.length ?? 0)
}

/** Groups `items` into JSON arrays each under MAX_PARAM_BYTES (an item alone may be larger). */
function chunks(items: readonly unknown[]): string[] {
  const out: string[] = []
  let current: string[] = []
  let size = 2
  for (const item of items) {
    const text = JSON.stringify(item)
    const bytes = utf8Bound(text)
    if (current.length && size + bytes + 1 > MAX_PARAM_BYTES) {
      out.push(`[${current.join(',')}]`)
      current = []
      size = 2
    }
    current.push(text)
    size += bytes + 1
  }
  if (current.length) out.push(`[${current.join(',')}]`)
  return out
}

const picks = (count: number, from = 0) =>
  Array.from({ length: count }, (_, i) => `j.value ->> ${from + i}`).join(', ')

/** Index rows as tuples [sp, ...value columns] in the catalogue's column order. */
function tuples(table: IndexKind, rows: readonly IndexRow[]): unknown[][] {
  const columns: readonly string[] = INDEX_TABLES[table].columns
  return rows.map((row) => [
    row.sp,
    ...columns.map((c) => (row as unknown as Record<string, unknown>)[c]),
  ])
}

/** The statements of an op that runs as written, in plan order; none for the ops that are grouped. */
function single(db: D1Database, op: WriteOp): D1PreparedStatement[] {
  switch (op.kind) {
    case 'insertHistory': {
      if (!('pk' in op.resource)) return []
      // First in a plan: when another writer took this version, the batch fails here before any change.
      const statement = db
        .prepare(
          'INSERT INTO resource_history (pk, version, type, id, last_updated, method, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)'
        )
        .bind(op.resource.pk, op.version, op.type, op.id, op.lastUpdated, op.method, op.body)
      return [statement]
    }
    case 'updateResource':
      return [
        db
          .prepare(
            'UPDATE resource SET version = ?2, last_updated = ?3, deleted = 0, body = ?4, present = ?5 WHERE pk = ?1 AND version = ?6'
          )
          .bind(op.pk, op.version, op.lastUpdated, op.body, op.present, op.expectedVersion),
      ]
    case 'markDeleted':
      return [
        db
          .prepare(
            'UPDATE resource SET version = ?2, last_updated = ?3, deleted = 1, present = NULL WHERE pk = ?1 AND version = ?4'
          )
          .bind(op.pk, op.version, op.lastUpdated, op.expectedVersion),
      ]
    case 'deleteIndexRows': {
      const { name, columns } = INDEX_TABLES[op.table]
      const keys = ['sp', ...columns]
      const values = keys.map((_, i) => `value ->> ${i}`).join(', ')
      const sql = `DELETE FROM ${name} WHERE pk = ?2 AND (${keys.join(', ')}) IN (SELECT ${values} FROM json_each(?1))`
      return chunks(tuples(op.table, op.rows)).map((json) => db.prepare(sql).bind(json, op.pk))
    }
  }
  return []
}

/**
 * A requireNoMatch guard: inserts NULL into the NOT NULL column of the empty conditional_guard table
 * when the criteria match, which fails the batch (migrations/0004_conditional_guard.sql); inserts
 * nothing otherwise. The match query's parameters are the statement's own.
 */
function guard(db: D1Database, op: RequireNoMatch): D1PreparedStatement {
  return db
    .prepare(`INSERT INTO conditional_guard (no_match) SELECT NULL WHERE EXISTS (${op.match.sql})`)
    .bind(...op.match.params)
}

/**
 * The statements for `ops`: guards, then single statements in plan order, then new resource rows, their
 * history rows (pk looked up by type and id), and index rows grouped per table.
 */
export function toStatements(db: D1Database, ops: readonly WriteOp[]): D1PreparedStatement[] {
  // Guards first: they test what other writers committed, before this batch changes anything.
  const statements: D1PreparedStatement[] = ops.flatMap((op) =>
    op.kind === 'requireNoMatch' ? [guard(db, op)] : []
  )
  const resources: unknown[][] = []
  const history: unknown[][] = []
  const byPk = new Map<IndexKind, unknown[][]>()
  const byKey = new Map<IndexKind, unknown[][]>()
  const created = new Set<string>()
  const mustBeCreated = (ref: { type: string; id: string }) => {
    // A new resource's rows find their pk by type and id: the plan must create that resource.
    if (!created.has(`${ref.type}/${ref.id}`)) {
      throw new Error(
        `write plan refers to ${ref.type}/${ref.id} by type and id without creating it`
      )
    }
  }
  for (const op of ops) if (op.kind === 'insertResource') created.add(`${op.type}/${op.id}`)
  for (const op of ops) {
    const own = single(db, op)
    if (own.length) statements.push(...own)
    else if (op.kind === 'insertResource') {
      resources.push([op.type, op.id, op.version, op.lastUpdated, op.body, op.present])
    } else if (op.kind === 'insertHistory') {
      mustBeCreated(op)
      history.push([op.type, op.id, op.version, op.lastUpdated, op.method, op.body])
    } else if (op.kind === 'insertIndexRows') {
      const ref = op.resource
      if (!('pk' in ref)) mustBeCreated(ref)
      const target = 'pk' in ref ? byPk : byKey
      const suffix = 'pk' in ref ? [ref.pk] : [ref.type, ref.id]
      const group = target.get(op.table) ?? []
      for (const row of tuples(op.table, op.rows)) group.push([...row, ...suffix])
      target.set(op.table, group)
    }
  }
  for (const json of chunks(resources)) {
    statements.push(
      db
        .prepare(
          'INSERT INTO resource (type, id, version, last_updated, deleted, body, present) ' +
            `SELECT ${picks(4)}, 0, ${picks(2, 4)} FROM json_each(?1) j`
        )
        .bind(json)
    )
  }
  for (const json of chunks(history)) {
    statements.push(
      db
        .prepare(
          'INSERT INTO resource_history (pk, version, type, id, last_updated, method, body) ' +
            'SELECT r.pk, j.value ->> 2, r.type, r.id, j.value ->> 3, j.value ->> 4, j.value ->> 5 ' +
            'FROM json_each(?1) j JOIN resource r ON r.type = j.value ->> 0 AND r.id = j.value ->> 1'
        )
        .bind(json)
    )
  }
  // Rows of a known pk end with it; rows of a new resource end with its type and id, joined to find the pk.
  for (const [groups, byKeyRef] of [
    [byPk, false],
    [byKey, true],
  ] as const) {
    for (const [table, rows] of groups) {
      const { name, columns } = INDEX_TABLES[table]
      const n = columns.length + 1
      const pk = byKeyRef ? 'r.pk' : `j.value ->> ${n}`
      const join = byKeyRef
        ? ` JOIN resource r ON r.type = j.value ->> ${n} AND r.id = j.value ->> ${n + 1}`
        : ''
      for (const json of chunks(rows)) {
        statements.push(
          db
            .prepare(
              `INSERT OR IGNORE INTO ${name} (sp, ${columns.join(', ')}, pk) SELECT ${picks(n)}, ${pk} FROM json_each(?1) j${join}`
            )
            .bind(json)
        )
      }
    }
  }
  return statements
}

/**
 * Runs planned ops as one atomic batch; WriteConflict when a version or id was taken, MatchConflict
 * when a `requireNoMatch` guard found a match.
 */
export async function commit(db: D1Database, ops: readonly WriteOp[]): Promise<void> {
  if (!ops.length) return
  try {
    await db.batch(toStatements(db, ops))
  } catch (err) {
    throw asCommitError(err)
  }
}

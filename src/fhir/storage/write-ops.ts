// Planned writes as data, compiled into as few SQL statements as possible when committed. A plan for
// one resource is a handful of steps (resource row, history row, index rows per table); a transaction
// of hundreds of resources would be thousands of statements if each step were its own. Here the rows of
// every new resource, of every history row of a new resource, and of each index table go in as ONE
// statement each (bound as a JSON array read with json_each, chunked to stay well inside D1's value
// size limit). Steps that must run as written (updates, deletes, optimistic-lock history inserts of
// existing resources) stay single statements and run first, in plan order.

/** One step of a planned write. */
export type WriteOp =
  | { kind: 'sql'; statement: D1PreparedStatement }
  /** A new resource row: [type, id, version, lastUpdated, body, present]. */
  | { kind: 'resource'; row: [string, string, number, number, string, string] }
  /** The first history row of a new resource: [type, id, version, lastUpdated, method, body]. */
  | { kind: 'history'; row: [string, string, number, number, string, string | null] }
  /** Index rows of one table: tuples [sp, ...columns], for a resource known by pk or by type and id. */
  | { kind: 'index'; table: string; columns: readonly string[]; rows: unknown[][]; ref: { pk: number } | { type: string; id: string } }

/** Largest JSON parameter per grouped statement, in characters (D1 caps a value at 2 MB). */
const MAX_PARAM_CHARS = 900_000

/** Groups `items` into chunks whose JSON stays under MAX_PARAM_CHARS. */
function chunks(items: unknown[][]): string[] {
  const out: string[] = []
  let current: string[] = []
  let size = 2
  for (const item of items) {
    const text = JSON.stringify(item)
    if (current.length && size + text.length + 1 > MAX_PARAM_CHARS) {
      out.push(`[${current.join(',')}]`)
      current = []
      size = 2
    }
    current.push(text)
    size += text.length + 1
  }
  if (current.length) out.push(`[${current.join(',')}]`)
  return out
}

const picks = (count: number, from = 0) =>
  Array.from({ length: count }, (_, i) => `j.value ->> ${from + i}`).join(', ')

/**
 * The statements for `ops`: single statements first in plan order, then new resource rows, their
 * history rows (pk looked up by type and id), and index rows grouped per table.
 */
export function toStatements(db: D1Database, ops: readonly WriteOp[]): D1PreparedStatement[] {
  const statements: D1PreparedStatement[] = []
  const resources: unknown[][] = []
  const history: unknown[][] = []
  const byPk = new Map<string, { columns: readonly string[]; rows: unknown[][] }>()
  const byKey = new Map<string, { columns: readonly string[]; rows: unknown[][] }>()
  for (const op of ops) {
    if (op.kind === 'sql') statements.push(op.statement)
    else if (op.kind === 'resource') resources.push(op.row)
    else if (op.kind === 'history') history.push(op.row)
    else {
      const target = 'pk' in op.ref ? byPk : byKey
      const group = target.get(op.table) ?? { columns: op.columns, rows: [] }
      const suffix = 'pk' in op.ref ? [op.ref.pk] : [op.ref.type, op.ref.id]
      for (const row of op.rows) group.rows.push([...row, ...suffix])
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
  // `table` and `columns` come from the fixed list in index-rows.ts, never from input. Rows of a known pk
  // end with it; rows of a new resource end with its type and id, joined to find the pk.
  for (const [groups, byKeyRef] of [[byPk, false], [byKey, true]] as const) {
    for (const [table, { columns, rows }] of groups) {
      const n = columns.length + 1
      const pk = byKeyRef ? 'r.pk' : `j.value ->> ${n}`
      const join = byKeyRef ? ` JOIN resource r ON r.type = j.value ->> ${n} AND r.id = j.value ->> ${n + 1}` : ''
      for (const json of chunks(rows)) {
        statements.push(
          db
            .prepare(
              `INSERT OR IGNORE INTO ${table} (sp, ${columns.join(', ')}, pk) SELECT ${picks(n)}, ${pk} FROM json_each(?1) j${join}`
            )
            .bind(json)
        )
      }
    }
  }
  return statements
}

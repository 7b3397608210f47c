// The index rows of one resource as they are extracted: a set per kind (a value found twice is one
// row), handed out sorted so that a body always gives the same rows in the same order and an update
// can diff the old body's rows against the new ones.

import type { IndexRows } from './types.ts'
import type { IndexKind, IndexRow } from './tables.ts'

type Row = Record<string, string | number>

export class RowSet {
  private readonly rows = new Map<IndexKind, Map<string, Row>>()

  add<K extends IndexKind>(kind: K, row: IndexRow<K>): void {
    let map = this.rows.get(kind)
    if (!map) this.rows.set(kind, (map = new Map()))
    map.set(JSON.stringify(Object.values(row)), row as Row)
  }

  private sorted<K extends IndexKind>(kind: K): IndexRows[K] {
    return [...(this.rows.get(kind)?.values() ?? [])].sort(compareRows) as unknown as IndexRows[K]
  }

  done(): IndexRows {
    return {
      token: this.sorted('token'),
      tokenText: this.sorted('tokenText'),
      string: this.sorted('string'),
      date: this.sorted('date'),
      number: this.sorted('number'),
      quantity: this.sorted('quantity'),
      ref: this.sorted('ref'),
      uri: this.sorted('uri'),
      composite: this.sorted('composite'),
    }
  }
}

/** Orders rows by their fields in column order; code-unit string order, never locale-dependent. */
function compareRows(a: Row, b: Row): number {
  for (const k of Object.keys(a)) {
    const x = a[k]!
    const y = b[k]!
    if (x !== y) return x < y ? -1 : 1
  }
  return 0
}

// Index-row extractor: evaluates every search parameter of a resource's type and turns the values
// into rows of the ix_* tables (migrations/0001_schema.sql). Deterministic: each list is deduped
// and sorted, so a body always gives the same rows and an update can delete exactly the old rows.
import {
  dateValues,
  numberValues,
  quantityValues,
  referenceValues,
  stringValues,
  tokenValues,
  uriValues,
} from './extract-values.ts'
import { compileFhirPath, evaluateFhirPath } from './fhirpath.ts'
import type { FpItem } from './fhirpath.ts'
import { normalizeText } from './normalize.ts'
import { searchParamsFor } from './registry.ts'
import type { IndexRows, SearchParamDef } from './types.ts'

type RowKind = keyof IndexRows
type Row = Record<string, string | number>

/** Parameters read from resource table columns by the server: no rows. */
const COLUMN_PARAMS = new Set(['_id', '_lastUpdated'])

class RowSet {
  private readonly rows = new Map<RowKind, Map<string, Row>>()

  add(kind: RowKind, row: Row): void {
    let map = this.rows.get(kind)
    if (!map) this.rows.set(kind, (map = new Map()))
    map.set(JSON.stringify(Object.values(row)), row)
  }

  private sorted(kind: RowKind): Row[] {
    return [...(this.rows.get(kind)?.values() ?? [])].sort(compareRows)
  }

  done(): IndexRows {
    return {
      token: this.sorted('token') as IndexRows['token'],
      tokenText: this.sorted('tokenText') as IndexRows['tokenText'],
      string: this.sorted('string') as IndexRows['string'],
      date: this.sorted('date') as IndexRows['date'],
      number: this.sorted('number') as IndexRows['number'],
      quantity: this.sorted('quantity') as IndexRows['quantity'],
      ref: this.sorted('ref') as IndexRows['ref'],
      uri: this.sorted('uri') as IndexRows['uri'],
    }
  }
}

/** Orders rows by their fields in column order; code-unit string order, never locale-dependent. */
function compareRows(a: Row, b: Row): number {
  for (const k of Object.keys(a)) {
    const x = a[k]
    const y = b[k]
    if (x !== y) return x < y ? -1 : 1
  }
  return 0
}

function addValue(rows: RowSet, def: SearchParamDef, item: FpItem): void {
  const sp = def.sp
  switch (def.type) {
    case 'token': {
      const { tokens, texts } = tokenValues(item)
      for (const [code, system] of tokens) rows.add('token', { sp, code, system })
      for (const text of texts) {
        const norm = normalizeText(text)
        if (norm) rows.add('tokenText', { sp, norm })
      }
      break
    }
    case 'string':
      for (const exact of stringValues(item)) {
        rows.add('string', { sp, norm: normalizeText(exact), exact })
      }
      break
    case 'date':
      for (const [lo, hi] of dateValues(item)) rows.add('date', { sp, lo, hi })
      break
    case 'number':
      for (const { v, lo, hi } of numberValues(item)) rows.add('number', { sp, v, lo, hi })
      break
    case 'quantity':
      for (const { code, system, v, lo, hi } of quantityValues(item)) {
        rows.add('quantity', { sp, code, system, v, lo, hi })
      }
      break
    case 'reference':
      for (const target of referenceValues(item, def.targets)) rows.add('ref', { sp, target })
      break
    case 'uri':
      for (const uri of uriValues(item)) rows.add('uri', { sp, uri })
      break
    // composite and special (Location near): not indexed yet.
  }
}

/** All index rows of a resource (by its resourceType); empty rows for unknown types. */
export function extractIndexRows(resource: Record<string, unknown>): IndexRows {
  const rows = new RowSet()
  const type = resource.resourceType
  if (typeof type !== 'string') return rows.done()
  for (const def of searchParamsFor(type)) {
    if (!def.expression || COLUMN_PARAMS.has(def.code)) continue
    if (def.type === 'composite' || def.type === 'special') continue
    const node = compileFhirPath(def.expression)
    if (!node) continue // listed in UNSUPPORTED_SEARCH_PARAMS
    for (const item of evaluateFhirPath(node, resource)) addValue(rows, def, item)
  }
  return rows.done()
}

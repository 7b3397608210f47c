// Index-row extractor: evaluates every search parameter of a resource's type and turns the values
// into rows of the ix_* tables (migrations/0001_schema.sql, 0002_search.sql). Deterministic: each
// list is deduped and sorted, so a body always gives the same rows and an update can delete exactly
// the old rows. Besides each parameter's own rows: Reference.identifier tokens under the derived
// `code:identifier` id, Identifier values by type under `code:of-type`, and composite rows.
import { compositeRows } from './extract-composite.ts'
import {
  dateValues,
  numberValues,
  quantityValues,
  referenceIdentifier,
  referenceValues,
  stringValues,
  tokenValues,
  uriValues,
} from './extract-values.ts'
import { compileFhirPath, evaluateFhirPath } from './fhirpath.ts'
import type { FpItem } from './fhirpath.ts'
import { normalizeText } from './normalize.ts'
import { RowSet } from './row-set.ts'
import { derivedSp, searchParamsFor } from './registry.ts'
import type { IndexRows, SearchParamDef } from './types.ts'

/** Parameters read from resource table columns by the server: no rows. */
const COLUMN_PARAMS = new Set(['_id', '_lastUpdated'])

function addValue(rows: RowSet, def: SearchParamDef, item: FpItem): void {
  const sp = def.sp
  switch (def.type) {
    case 'token': {
      const { tokens, texts, ofType } = tokenValues(item)
      for (const [code, system] of tokens) rows.add('token', { sp, code, system })
      for (const text of texts) {
        const norm = normalizeText(text)
        if (norm) rows.add('tokenText', { sp, norm })
      }
      if (ofType.length) {
        const typed = derivedSp(def, 'of-type')
        for (const [code, system] of ofType) rows.add('token', { sp: typed, code, system })
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
    case 'reference': {
      for (const target of referenceValues(item, def.targets)) rows.add('ref', { sp, target })
      const identifier = referenceIdentifier(item)
      if (identifier) {
        const [code, system] = identifier
        rows.add('token', { sp: derivedSp(def, 'identifier'), code, system })
      }
      break
    }
    case 'uri':
      for (const uri of uriValues(item)) rows.add('uri', { sp, uri })
      break
    // composite: compositeRows; special (Location near): not indexed.
  }
}

/** Evaluates a parameter's expression on a resource; undefined when it cannot. */
export type Evaluator = (
  def: SearchParamDef,
  resource: Record<string, unknown>
) => FpItem[] | undefined

const evaluateOwn: Evaluator = (def, resource) => {
  const node = compileFhirPath(def.expression)
  return node ? evaluateFhirPath(node, resource) : undefined // unsupported: UNSUPPORTED_SEARCH_PARAMS
}

/**
 * All index rows of a resource (by its resourceType); empty rows for unknown types. `evaluate` is
 * this server's FHIRPath evaluator; the cross-check test passes another one.
 */
export function extractIndexRows(
  resource: Record<string, unknown>,
  evaluate: Evaluator = evaluateOwn
): IndexRows {
  const rows = new RowSet()
  const type = resource.resourceType
  if (typeof type !== 'string') return rows.done()
  for (const def of searchParamsFor(type)) {
    if (!def.expression || COLUMN_PARAMS.has(def.code) || def.type === 'special') continue
    const items = evaluate(def, resource)
    if (!items) continue
    if (def.type === 'composite') compositeRows(rows, def, items, resource)
    else for (const item of items) addValue(rows, def, item)
  }
  return rows.done()
}

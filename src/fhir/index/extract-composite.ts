// Composite index rows (R4 search.html#composite): for each element the composite's expression selects
// (an Observation, each Observation.component, each useContext, ...), every pair of a first-component
// token and a last-component value taken from that same element. The token becomes the row's key in
// the forms a query can name it: `code`, and `system|code` (`|code` when the coding has no system).
import {
  dateValues,
  numberValues,
  quantityValues,
  referenceValues,
  stringValues,
  tokenValues,
  uriValues,
} from './extract-values.ts'
import { compileFhirPath, evaluateFhirPathOn } from './fhirpath.ts'
import type { FpItem } from './fhirpath.ts'
import { normalizeText } from './normalize.ts'
import { compositeParts } from './registry.ts'
import type { RowSet } from './row-set.ts'
import type { SearchParamDef } from './types.ts'

type Last = { a: string; b: string; v: number; lo: number; hi: number }

/** The keys a token value is found under in ix_composite. */
export function compositeKeys(code: string, system: string): string[] {
  return code ? [code, `${system}|${code}`] : []
}

/** The last component's values of one element, in ix_composite's columns. */
function lastValues(def: SearchParamDef, item: FpItem): Last[] {
  const text = (a: string, b = ''): Last => ({ a, b, v: 0, lo: 0, hi: 0 })
  switch (def.type) {
    case 'token':
      return tokenValues(item).tokens.map(([code, system]) => text(code, system))
    case 'string':
      return stringValues(item).map((exact) => text(normalizeText(exact), exact))
    case 'reference':
      return referenceValues(item, def.targets).map((target) => text(target))
    case 'uri':
      return uriValues(item).map((uri) => text(uri))
    case 'date':
      return dateValues(item).map(([lo, hi]) => ({ a: '', b: '', v: lo, lo, hi }))
    case 'number':
      return numberValues(item).map((n) => ({ a: '', b: '', ...n }))
    case 'quantity':
      return quantityValues(item).map(({ code, system, v, lo, hi }) => ({
        a: code,
        b: system,
        v,
        lo,
        hi,
      }))
  }
  return []
}

export function compositeRows(
  rows: RowSet,
  def: SearchParamDef,
  items: FpItem[],
  resource: Record<string, unknown>
): void {
  const parts = compositeParts(def)
  const components = def.components
  if (!parts || !components) return
  const first = compileFhirPath(components[0]!.expression)
  const last = compileFhirPath(components[1]!.expression)
  if (!first || !last) return
  const root: FpItem = { value: resource, type: String(resource.resourceType) }
  for (const item of items) {
    const keys = evaluateFhirPathOn(first, item, root).flatMap((it) =>
      tokenValues(it).tokens.flatMap(([code, system]) => compositeKeys(code, system))
    )
    if (!keys.length) continue
    const values = evaluateFhirPathOn(last, item, root).flatMap((it) => lastValues(parts[1], it))
    for (const key of keys)
      for (const value of values) rows.add('composite', { sp: def.sp, key, ...value })
  }
}

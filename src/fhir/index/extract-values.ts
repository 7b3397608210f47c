// Turns one typed FHIRPath value into index values for one search parameter type, following R4's
// mapping of datatypes to parameter types (search.html#token, #string, #date, #number, #quantity,
// #reference, #uri). A datatype the parameter type does not cover gives nothing. Numbers and
// quantities are stored as the interval they stand for: [v, v] for a value (the search value's
// precision applies at query time), open on one side for a comparator, low..high for a Range; a
// quantity once per unit it can be searched by (its code, and a stated unit that differs).
import { MAX_DATE, MIN_DATE, dateRange } from './dates.ts'
import { decimalRange } from './decimal.ts'
import { baseType, isSubtype } from './element-types.ts'
import type { FpItem } from './fhirpath.ts'
import { ID } from '../../lib/ids.ts'

type Obj = Record<string, unknown>

export interface TokenValues {
  tokens: [code: string, system: string][]
  texts: string[]
  /** Identifier values with their type codings, for `:of-type` ([value, `system|code` of the type]). */
  ofType: [value: string, type: string][]
}

export interface QuantityValue {
  code: string
  system: string
  v: number
  lo: number
  hi: number
}

/** Complex datatypes the extractor reads; subtypes map to them (Age → Quantity). */
const DATATYPES = new Set([
  'Address',
  'CodeableConcept',
  'Coding',
  'ContactPoint',
  'HumanName',
  'Identifier',
  'Money',
  'Period',
  'Quantity',
  'Range',
  'Reference',
  'Timing',
])
const ISO_4217 = 'urn:iso:std:iso:4217'

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '')
const strs = (v: unknown): string[] =>
  (Array.isArray(v) ? v : [v]).filter((s): s is string => typeof s === 'string')

/** How the extractor reads an item: 'primitive', a DATATYPES member, 'Resource' or ''. */
function kind(item: FpItem): string {
  if (!isObj(item.value)) return 'primitive'
  for (let t = item.type; t; t = baseType(t)) if (DATATYPES.has(t)) return t
  return isSubtype(item.type, 'Resource') ? 'Resource' : ''
}

function primitiveText(v: unknown): string {
  if (typeof v === 'string') return v
  return typeof v === 'number' || typeof v === 'boolean' ? String(v) : ''
}

export function tokenValues(item: FpItem): TokenValues {
  const out: TokenValues = { tokens: [], texts: [], ofType: [] }
  const add = (code: string, system: string) => {
    if (code || system) out.tokens.push([code, system])
  }
  const v = item.value
  switch (kind(item)) {
    case 'primitive':
      add(primitiveText(v), '')
      break
    case 'Coding':
      add(str((v as Obj).code), str((v as Obj).system))
      out.texts.push(str((v as Obj).display))
      break
    case 'CodeableConcept': {
      const cc = v as Obj
      for (const c of Array.isArray(cc.coding) ? cc.coding : []) {
        if (!isObj(c)) continue
        add(str(c.code), str(c.system))
        out.texts.push(str(c.display))
      }
      out.texts.push(str(cc.text))
      break
    }
    case 'Identifier': {
      const id = v as Obj
      add(str(id.value), str(id.system))
      if (isObj(id.type)) {
        out.texts.push(str(id.type.text))
        const codings = Array.isArray(id.type.coding) ? id.type.coding : []
        for (const c of codings) {
          if (isObj(c) && str(c.code) && str(id.value)) {
            out.ofType.push([str(id.value), `${str(c.system)}|${str(c.code)}`])
          }
        }
      }
      break
    }
    case 'ContactPoint':
      add(str((v as Obj).value), '')
      break
  }
  out.texts = out.texts.filter((t) => t.trim())
  return out
}

export function stringValues(item: FpItem): string[] {
  const v = item.value
  let parts: string[] = []
  switch (kind(item)) {
    case 'primitive':
      parts = strs(v)
      break
    case 'HumanName': {
      const n = v as Obj
      parts = [n.family, n.given, n.prefix, n.suffix, n.text].flatMap(strs)
      break
    }
    case 'Address': {
      const a = v as Obj
      const fields = [a.city, a.district, a.state, a.postalCode, a.country, a.text]
      parts = [...strs(a.line), ...fields.flatMap(strs)]
      break
    }
  }
  return parts.filter((s) => s.trim())
}

export function dateValues(item: FpItem): [number, number][] {
  const v = item.value
  switch (kind(item)) {
    case 'primitive': {
      const r = typeof v === 'string' ? dateRange(v) : undefined
      return r ? [r] : []
    }
    case 'Period': {
      const p = v as Obj
      const start = typeof p.start === 'string' ? dateRange(p.start) : undefined
      const end = typeof p.end === 'string' ? dateRange(p.end) : undefined
      const invalid = (p.start !== undefined && !start) || (p.end !== undefined && !end)
      if (invalid || (!start && !end)) return []
      return [[start ? start[0] : MIN_DATE, end ? end[1] : MAX_DATE]]
    }
    case 'Timing': {
      const events = strs((v as Obj).event).map(dateRange)
      return events.filter((r): r is [number, number] => r !== undefined)
    }
  }
  return []
}

/** A number as its own interval [v, v] (NaN-free, finite). */
function point(value: unknown): { v: number; lo: number; hi: number } | undefined {
  const r = decimalRange(value)
  return r && { v: r.v, lo: r.v, hi: r.v }
}

/**
 * The units a quantity is found under (search.html#quantity): its code in its system and, when it
 * states a different unit, that unit with no system, so `100||mmHg` finds {unit: mmHg, code: mm[Hg]}
 * while `100|system|mmHg` does not. Without a code, only its unit, with no system: a stated unit is
 * not a code of the quantity's system.
 */
function units(q: Obj): [code: string, system: string][] {
  const code = str(q.code)
  const unit = str(q.unit)
  if (!code) return [[unit, '']]
  return unit && unit !== code
    ? [
        [code, str(q.system)],
        [unit, ''],
      ]
    : [[code, str(q.system)]]
}

/**
 * A Range as one interval: low to high (an open side is unbounded); v is low, or high when low is
 * absent, and the units are that bound's.
 */
function rangeValue(range: Obj): { v: number; lo: number; hi: number; bound: Obj } | undefined {
  const low = isObj(range.low) ? range.low : undefined
  const high = isObj(range.high) ? range.high : undefined
  const l = decimalRange(low?.value)
  const h = decimalRange(high?.value)
  const bound = l ? low! : high
  if (!bound || !(l || h)) return undefined
  return { v: (l ?? h)!.v, lo: l ? l.v : -Number.MAX_VALUE, hi: h ? h.v : Number.MAX_VALUE, bound }
}

export function numberValues(item: FpItem): { v: number; lo: number; hi: number }[] {
  const k = kind(item)
  const r =
    k === 'primitive'
      ? point(item.value)
      : k === 'Range'
        ? rangeValue(item.value as Obj)
        : undefined
  return r ? [{ v: r.v, lo: r.lo, hi: r.hi }] : []
}

export function quantityValues(item: FpItem): QuantityValue[] {
  const q = item.value as Obj
  switch (kind(item)) {
    case 'Quantity': {
      const r = point(q.value)
      if (!r) return []
      const c = q.comparator
      const lo = c === '<' || c === '<=' ? -Number.MAX_VALUE : r.lo
      const hi = c === '>' || c === '>=' ? Number.MAX_VALUE : r.hi
      return units(q).map(([code, system]) => ({ code, system, v: r.v, lo, hi }))
    }
    case 'Money': {
      const r = point(q.value)
      const code = str(q.currency)
      return r ? [{ code, system: code ? ISO_4217 : '', v: r.v, lo: r.lo, hi: r.hi }] : []
    }
    case 'Range': {
      const r = rangeValue(q)
      return r
        ? units(r.bound).map(([code, system]) => ({ code, system, v: r.v, lo: r.lo, hi: r.hi }))
        : []
    }
  }
  return []
}

const VERSIONED = new RegExp(`^([A-Z][A-Za-z]+/${ID})/_history/${ID}$`)

/**
 * Reference targets: `Type/id` (history stripped), absolute URLs as given, and canonicals as given
 * plus, for `url|version`, the url alone (a search without a version matches every version).
 */
export function referenceValues(item: FpItem, targets?: readonly string[]): string[] {
  const v = item.value
  switch (kind(item)) {
    case 'primitive': {
      if (typeof v !== 'string' || !v) return []
      const bar = v.indexOf('|')
      return bar > 0 ? [v, v.slice(0, bar)] : [v]
    }
    case 'Reference': {
      const ref = str((v as Obj).reference)
      if (!ref || ref.startsWith('#')) return []
      return [VERSIONED.exec(ref)?.[1] ?? ref]
    }
    case 'Resource': {
      // An inline resource (Bundle.entry[0].resource) stands for itself if it is an allowed target.
      const r = v as Obj
      const allowed = !targets?.length || targets.includes(item.type!)
      return allowed && typeof r.id === 'string' && r.id ? [`${item.type}/${r.id}`] : []
    }
  }
  return []
}

/** Reference.identifier as a token (search.html#reference `:identifier`). */
export function referenceIdentifier(item: FpItem): [code: string, system: string] | undefined {
  if (kind(item) !== 'Reference') return undefined
  const id = (item.value as Obj).identifier
  if (!isObj(id) || !str(id.value)) return undefined
  return [str(id.value), str(id.system)]
}

export function uriValues(item: FpItem): string[] {
  return typeof item.value === 'string' && item.value ? [item.value] : []
}

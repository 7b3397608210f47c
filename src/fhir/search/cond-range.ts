// Date, number, quantity and composite filters (R4 search.html#prefix, #date, #number, #quantity,
// #composite). A stored value is an interval [lo, hi]; each prefix is the spec's comparison of that
// interval with the search value's range. Index seeks use bounds the comparison implies (docs/search.md).

import {
  anyOf,
  probeBy,
  spIs,
  unionSet,
  PREFIX_END,
  type CompileContext,
  type Cond,
} from './filter-sql.ts'
import type { Binder } from './binder.ts'
import type { CompositeTest, LastTest, QuantityTest, RangeTest } from './request.ts'
import {
  at,
  INDEX_TABLES,
  LONG_DATE_MS as DAY,
  RESOURCE_INDEXES,
  type Qualified,
} from '../index/tables.ts'

const { date: DATE, number: NUMBER, quantity: QUANTITY, composite: COMPOSITE } = INDEX_TABLES

/** The spec's date comparison of a stored [lo, hi] with the search range (search.html#prefix). */
function datePredicate(b: Binder, t: RangeTest, lo: string, hi: string): string {
  const qlo = b.bind(t.lo)
  const qhi = b.bind(t.hi)
  switch (t.prefix) {
    case 'eq':
      return `${lo} >= ${qlo} AND ${hi} <= ${qhi}`
    case 'ne':
      return `(${lo} < ${qlo} OR ${hi} > ${qhi})`
    case 'gt':
      return `${hi} > ${qhi}`
    case 'lt':
      return `${lo} < ${qlo}`
    case 'ge':
      return `(${hi} > ${qhi} OR (${lo} >= ${qlo} AND ${hi} <= ${qhi}))`
    case 'le':
      return `(${lo} < ${qlo} OR (${lo} >= ${qlo} AND ${hi} <= ${qhi}))`
    case 'sa':
      return `${lo} > ${qhi}`
    case 'eb':
      return `${hi} < ${qlo}`
    case 'ap':
      return `${lo} <= ${qhi} AND ${hi} >= ${qlo}`
  }
}

interface Bounds {
  loMin?: number
  loMax?: number
  hiMin?: number
  hiMax?: number
}

type Bound = number | undefined
const max = (a: Bound, b: Bound) => (a === undefined ? b : b === undefined ? a : Math.max(a, b))
const min = (a: Bound, b: Bound) => (a === undefined ? b : b === undefined ? a : Math.min(a, b))

/** Bounds on a matching value's lo and hi that each test implies, intersected. */
function dateBounds(tests: RangeTest[]): Bounds {
  const out: Bounds = {}
  for (const t of tests) {
    const add: Bounds =
      t.prefix === 'eq'
        ? { loMin: t.lo, loMax: t.hi, hiMin: t.lo, hiMax: t.hi }
        : t.prefix === 'gt'
          ? { hiMin: t.hi + 1 }
          : t.prefix === 'lt'
            ? { loMax: t.lo - 1 }
            : t.prefix === 'ge'
              ? { hiMin: t.lo }
              : t.prefix === 'le'
                ? { loMax: t.hi }
                : t.prefix === 'sa'
                  ? { loMin: t.hi + 1 }
                  : t.prefix === 'eb'
                    ? { hiMax: t.lo - 1 }
                    : t.prefix === 'ap'
                      ? { loMax: t.hi, hiMin: t.lo }
                      : {}
    out.loMin = max(out.loMin, add.loMin)
    out.loMax = min(out.loMax, add.loMax)
    out.hiMin = max(out.hiMin, add.hiMin)
    out.hiMax = min(out.hiMax, add.hiMax)
  }
  // lo <= hi: an upper bound on hi bounds lo, a lower bound on lo bounds hi.
  out.loMax = min(out.loMax, out.hiMax)
  out.hiMin = max(out.hiMin, out.loMin)
  return out
}

function between(b: Binder, col: string, lo: number | undefined, hi: number | undefined): string {
  const parts: string[] = []
  if (lo !== undefined) parts.push(`${col} >= ${b.bind(lo)}`)
  if (hi !== undefined) parts.push(`${col} <= ${b.bind(hi)}`)
  return parts.join(' AND ')
}

/** All tests of one alternative on a date row `d`. */
function dateTests(b: Binder, tests: RangeTest[], d: { lo: string; hi: string }): string {
  return tests.map((t) => datePredicate(b, t, d.lo, d.hi)).join(' AND ')
}

/** The index seek for one alternative of a date filter on ix_date (see docs/search.md "Dates"). */
function dateSelect(
  ctx: CompileContext,
  sps: number[],
  tests: RangeTest[]
): { sql: string; bounded: boolean } {
  const b = ctx.b
  const { loMin, loMax, hiMin, hiMax } = dateBounds(tests)
  const d = at(DATE, 'd')
  const select = (index: string, range: string) =>
    `SELECT pk FROM ${DATE.name} d${index ? ` INDEXED BY ${index}` : ''} ` +
    `WHERE ${spIs(ctx, 'd', sps)} AND ${dateTests(b, tests, d)}${range ? ` AND ${range}` : ''}`
  if (loMin !== undefined && loMax !== undefined) {
    return { sql: select('', between(b, d.lo, loMin, loMax)), bounded: true }
  }
  if (hiMin !== undefined && hiMax !== undefined) {
    return { sql: select(DATE.byHi, between(b, d.hi, hiMin, hiMax)), bounded: true }
  }
  if (loMax !== undefined && hiMin !== undefined) {
    // Overlap with [hiMin, loMax]: short values start at most a day before hiMin; long ones are few.
    const shortLo = max(loMin, hiMin - DAY + 1)
    const short = select('', `${between(b, d.lo, shortLo, loMax)} AND ${d.hi} - ${d.lo} < ${DAY}`)
    const long = select(
      DATE.long,
      `${d.hi} - ${d.lo} >= ${DAY} AND ${between(b, d.lo, loMin, loMax)}`
    )
    return { sql: unionSet([short, long]), bounded: true }
  }
  if (loMin !== undefined || loMax !== undefined) {
    return { sql: select('', between(b, d.lo, loMin, loMax)), bounded: false }
  }
  if (hiMin !== undefined || hiMax !== undefined) {
    return { sql: select(DATE.byHi, between(b, d.hi, hiMin, hiMax)), bounded: false }
  }
  return { sql: select('', ''), bounded: false }
}

export function compileDate(sps: number[], ranges: RangeTest[][], ctx: CompileContext): Cond {
  const selects = ranges.map((tests) => dateSelect(ctx, sps, tests))
  return {
    rank: selects.every((s) => s.bounded) ? 4 : 6,
    pkOnly: true,
    set: unionSet(selects.map((s) => s.sql)),
    probe: (r) =>
      probeBy(ctx, DATE, sps, r, (d) => anyOf(ranges.map((tests) => dateTests(ctx.b, tests, d)))),
  }
}

/** `_lastUpdated` reads resource.last_updated (an instant: lo = hi) through resource_type_updated. */
export function compileLastUpdated(ranges: RangeTest[][], ctx: CompileContext): Cond {
  const b = ctx.b
  const pred = (c: string, tests: RangeTest[]) =>
    tests.map((t) => datePredicate(b, t, c, c)).join(' AND ')
  const selects = ranges.map((tests) => {
    const { loMin, loMax, hiMin, hiMax } = dateBounds(tests)
    const range = between(b, 'last_updated', max(loMin, hiMin), min(loMax, hiMax))
    return (
      `SELECT pk FROM resource INDEXED BY ${RESOURCE_INDEXES.byTypeUpdated} WHERE type ${b.isIn(ctx.types)} AND ` +
      `${pred('last_updated', tests)}${range ? ` AND ${range}` : ''}`
    )
  })
  return {
    rank: 4,
    set: unionSet(selects),
    probe: (r) => anyOf(ranges.map((tests) => pred(`${r}.last_updated`, tests))),
  }
}

/**
 * Number and quantity comparisons (search.html#number): a stored interval [lo, hi] ([v, v] for a
 * value) against the search value q and its precision range [qlo, qhi): `eq` is containment in the
 * precision range, `gt`/`lt`/`ge`/`le` compare with q exactly, `sa`/`eb` with the precision range.
 */
function numberPredicate(b: Binder, t: RangeTest, lo: string, hi: string): string {
  const q = () => b.bind(t.q)
  switch (t.prefix) {
    case 'eq':
      return `${lo} >= ${b.bind(t.lo)} AND ${hi} < ${b.bind(t.hi)}`
    case 'ne':
      return `(${lo} < ${b.bind(t.lo)} OR ${hi} >= ${b.bind(t.hi)})`
    case 'gt':
      return `${hi} > ${q()}`
    case 'lt':
      return `${lo} < ${q()}`
    case 'ge':
      return `${hi} >= ${q()}`
    case 'le':
      return `${lo} <= ${q()}`
    case 'sa':
      return `${lo} >= ${b.bind(t.hi)}`
    case 'eb':
      return `${hi} < ${b.bind(t.lo)}`
    case 'ap':
      return `${lo} <= ${b.bind(t.hi)} AND ${hi} >= ${b.bind(t.lo)}`
  }
}

/** The same comparison for a point value v (lo = hi = v), as a seekable range on v. */
function pointRange(b: Binder, t: RangeTest, v: string): string | undefined {
  switch (t.prefix) {
    case 'ne':
      return undefined
    case 'ap':
      return `${v} >= ${b.bind(t.lo)} AND ${v} <= ${b.bind(t.hi)}`
  }
  return numberPredicate(b, t, v, v)
}

/** The unit tests of a quantity value on a row's code and system columns. */
function unitTerms(b: Binder, t: QuantityTest, row: { code: string; system: string }): string {
  const parts: string[] = []
  if (t.code !== undefined) parts.push(` AND ${row.code} = ${b.bind(t.code)}`)
  if (t.system !== undefined) parts.push(` AND ${row.system} = ${b.bind(t.system)}`)
  return parts.join('')
}

type NumericTable = typeof NUMBER | typeof QUANTITY
type NumericRow = Qualified<NumericTable>

function compileNumeric(
  table: NumericTable,
  sps: number[],
  tests: QuantityTest[],
  ctx: CompileContext
): Cond {
  const b = ctx.b
  const quantity = table === QUANTITY
  const units = (t: QuantityTest, n: NumericRow) => (quantity ? unitTerms(b, t, n) : '')
  const test = (n: NumericRow, t: QuantityTest) =>
    `${numberPredicate(b, t, n.lo, n.hi)}${units(t, n)}`
  // Point values (lo = hi = v) are sought by v; intervals (Range, comparator) are few.
  const n = at(table, 'n')
  const selects = tests.flatMap((t) => {
    const range = pointRange(b, t, n.v) ?? numberPredicate(b, t, n.lo, n.hi)
    return [
      `SELECT pk FROM ${table.name} n WHERE ${spIs(ctx, 'n', sps)} AND ${n.lo} = ${n.hi} AND ${range}${units(t, n)}`,
      `SELECT pk FROM ${table.name} n INDEXED BY ${table.intervals} ` +
        `WHERE ${spIs(ctx, 'n', sps)} AND ${n.lo} < ${n.hi} AND ${test(n, t)}`,
    ]
  })
  const seekable = !quantity || tests.every((t) => t.code !== undefined)
  return {
    rank: tests.some((t) => t.prefix === 'ne') ? 6 : seekable ? 4 : 5,
    pkOnly: true,
    set: unionSet(selects),
    probe: (r) => probeBy(ctx, table, sps, r, (row) => anyOf(tests.map((t) => test(row, t)))),
  }
}

export const compileNumber = (sps: number[], tests: RangeTest[], ctx: CompileContext) =>
  compileNumeric(NUMBER, sps, tests, ctx)
export const compileQuantity = (sps: number[], tests: QuantityTest[], ctx: CompileContext) =>
  compileNumeric(QUANTITY, sps, tests, ctx)

/** The test on a composite row's last component (columns a, b, v, lo, hi of ix_composite). */
function lastPredicate(b: Binder, last: LastTest, c: Qualified<typeof COMPOSITE>): string {
  switch (last.kind) {
    case 'token': {
      const parts: string[] = []
      if (last.value.code !== undefined) parts.push(`${c.a} = ${b.bind(last.value.code)}`)
      if (last.value.system !== undefined) parts.push(`${c.b} = ${b.bind(last.value.system)}`)
      return parts.join(' AND ')
    }
    case 'string':
      return `${c.a} >= ${b.bind(last.norm)} AND ${c.a} < ${b.bind(last.norm + PREFIX_END)}`
    case 'uri':
      return `${c.a} = ${b.bind(last.value)}`
    case 'reference':
      return `${c.a} ${b.isIn(last.targets)}`
    case 'date':
      return datePredicate(b, last.test, c.lo, c.hi)
    case 'number':
      return numberPredicate(b, last.test, c.lo, c.hi)
    case 'quantity':
      return (
        numberPredicate(b, last.test, c.lo, c.hi) +
        unitTerms(b, last.test, { code: c.a, system: c.b })
      )
  }
}

export function compileComposite(sps: number[], tests: CompositeTest[], ctx: CompileContext): Cond {
  const b = ctx.b
  const where = (c: string, t: CompositeTest) => {
    const row = at(COMPOSITE, c)
    return `${spIs(ctx, c, sps)} AND ${row.key} = ${b.bind(t.key)} AND ${lastPredicate(b, t.last, row)}`
  }
  const cond: Cond = {
    rank: 2,
    pkOnly: true,
    set: unionSet(tests.map((t) => `SELECT pk FROM ${COMPOSITE.name} c WHERE ${where('c', t)}`)),
    probe: (r) =>
      anyOf(
        tests.map((t) => {
          const c = ctx.a.next('c')
          return `EXISTS (SELECT 1 FROM ${COMPOSITE.name} ${c} WHERE ${c}.pk = ${r}.pk AND ${where(c, t)})`
        })
      ),
  }
  if (sps.length === 1 && tests.length === 1) {
    const d = ctx.a.next('d')
    cond.walk = { from: `${COMPOSITE.name} ${d}`, where: where(d, tests[0]!), alias: d }
  }
  return cond
}

// Date, number, quantity and composite filters (R4 search.html#prefix, #date, #number, #quantity,
// #composite). A stored value is an interval [lo, hi]; each prefix is the spec's comparison of that
// interval with the search value's range. Index seeks use bounds the comparison implies (docs/search.md).

import { grouped, probeOf, setOf, type Alt, type Seek } from './alternatives.ts'
import {
  anyOf,
  PREFIX_END,
  unionSet,
  walkOn,
  type CompileContext,
  type Cond,
} from './filter-sql.ts'
import { isIn, type Bind } from './binder.ts'
import type { CompositeTest, LastTest, QuantityTest, RangeTest } from './request.ts'
import {
  INDEX_TABLES,
  LONG_DATE_MS as DAY,
  RESOURCE_INDEXES,
  type Qualified,
} from '../index/tables.ts'

const { date: DATE, number: NUMBER, quantity: QUANTITY, composite: COMPOSITE } = INDEX_TABLES

/** The spec's date comparison of a stored [lo, hi] with the search range (search.html#prefix). */
function datePredicate(bind: Bind, t: RangeTest, lo: string, hi: string): string {
  const qlo = bind(t.lo)
  const qhi = bind(t.hi)
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

function between(bind: Bind, col: string, lo: number | undefined, hi: number | undefined): string {
  const parts: string[] = []
  if (lo !== undefined) parts.push(`${col} >= ${bind(lo)}`)
  if (hi !== undefined) parts.push(`${col} <= ${bind(hi)}`)
  return parts.join(' AND ')
}

type DateRow = Qualified<typeof DATE>

/** All tests of one alternative on a date row `d`. */
function dateTests(bind: Bind, tests: RangeTest[], d: { lo: string; hi: string }): string {
  return tests.map((t) => datePredicate(bind, t, d.lo, d.hi)).join(' AND ')
}

/** The index seeks for one alternative of a date filter on ix_date (see docs/search.md "Dates"). */
function dateSeeks(tests: RangeTest[]): { seeks: Seek<DateRow>[]; bounded: boolean } {
  const { loMin, loMax, hiMin, hiMax } = dateBounds(tests)
  const seek = (index: string | undefined, range: (d: DateRow, bind: Bind) => string) => ({
    index,
    where: (d: DateRow, bind: Bind) => {
      const r = range(d, bind)
      return `${dateTests(bind, tests, d)}${r ? ` AND ${r}` : ''}`
    },
  })
  if (loMin !== undefined && loMax !== undefined) {
    return { seeks: [seek(undefined, (d, b) => between(b, d.lo, loMin, loMax))], bounded: true }
  }
  if (hiMin !== undefined && hiMax !== undefined) {
    return { seeks: [seek(DATE.byHi, (d, b) => between(b, d.hi, hiMin, hiMax))], bounded: true }
  }
  if (loMax !== undefined && hiMin !== undefined) {
    // Overlap with [hiMin, loMax]: short values start at most a day before hiMin; long ones are few.
    const shortLo = max(loMin, hiMin - DAY + 1)
    const short = seek(
      undefined,
      (d, b) => `${between(b, d.lo, shortLo, loMax)} AND ${d.hi} - ${d.lo} < ${DAY}`
    )
    const long = seek(
      DATE.long,
      (d, b) => `${d.hi} - ${d.lo} >= ${DAY} AND ${between(b, d.lo, loMin, loMax)}`
    )
    return { seeks: [short, long], bounded: true }
  }
  if (loMin !== undefined || loMax !== undefined) {
    return { seeks: [seek(undefined, (d, b) => between(b, d.lo, loMin, loMax))], bounded: false }
  }
  if (hiMin !== undefined || hiMax !== undefined) {
    return { seeks: [seek(DATE.byHi, (d, b) => between(b, d.hi, hiMin, hiMax))], bounded: false }
  }
  return { seeks: [seek(undefined, () => '')], bounded: false }
}

export function compileDate(sps: number[], ranges: RangeTest[][], ctx: CompileContext): Cond {
  const alternatives = ranges.map(dateSeeks)
  const tests = ranges.map(
    (t): Alt<DateRow> =>
      (d, bind) =>
        dateTests(bind, t, d)
  )
  return {
    rank: alternatives.every((s) => s.bounded) ? 4 : 6,
    pkOnly: true,
    set: setOf(
      ctx,
      DATE,
      sps,
      alternatives.flatMap((a) => a.seeks)
    ),
    probe: (r) => probeOf(ctx, DATE, sps, r, tests),
  }
}

/** `_lastUpdated` reads resource.last_updated (an instant: lo = hi) through resource_type_updated. */
export function compileLastUpdated(ranges: RangeTest[][], ctx: CompileContext): Cond {
  const b = ctx.b
  type Row = { at: string }
  const pred = (c: string, bind: Bind, tests: RangeTest[]) =>
    tests.map((t) => datePredicate(bind, t, c, c)).join(' AND ')
  const seeks = ranges.map((tests): Seek<Row> => ({
    where: (row, bind) => {
      const { loMin, loMax, hiMin, hiMax } = dateBounds(tests)
      const range = between(bind, row.at, max(loMin, hiMin), min(loMax, hiMax))
      return `${pred(row.at, bind, tests)}${range ? ` AND ${range}` : ''}`
    },
  }))
  const selects = grouped(ctx, { at: 'x.last_updated' }, seeks).map((g) => {
    const x = ctx.a.next('x')
    const own = `resource ${x} INDEXED BY ${RESOURCE_INDEXES.byTypeUpdated}`
    return (
      `SELECT ${x}.pk AS pk FROM ${g.source ? `${g.source} CROSS JOIN ${own}` : own} ` +
      `WHERE ${x}.type ${b.isIn(ctx.types)} AND ${g.where({ at: `${x}.last_updated` })}`
    )
  })
  const tests = ranges.map((t): Seek<Row> => ({ where: (row, bind) => pred(row.at, bind, t) }))
  return {
    rank: 4,
    set: unionSet(selects),
    probe: (r) =>
      anyOf(
        grouped(ctx, { at: 'x.last_updated' }, tests).map((g) => {
          const at = { at: `${r}.last_updated` }
          return g.source ? `EXISTS (SELECT 1 FROM ${g.source} WHERE ${g.where(at)})` : g.where(at)
        })
      ),
  }
}

/**
 * Number and quantity comparisons (search.html#number): a stored interval [lo, hi] ([v, v] for a
 * value) against the search value q and its precision range [qlo, qhi): `eq` is containment in the
 * precision range, `gt`/`lt`/`ge`/`le` compare with q exactly, `sa`/`eb` with the precision range.
 */
function numberPredicate(bind: Bind, t: RangeTest, lo: string, hi: string): string {
  const q = () => bind(t.q)
  switch (t.prefix) {
    case 'eq':
      return `${lo} >= ${bind(t.lo)} AND ${hi} < ${bind(t.hi)}`
    case 'ne':
      return `(${lo} < ${bind(t.lo)} OR ${hi} >= ${bind(t.hi)})`
    case 'gt':
      return `${hi} > ${q()}`
    case 'lt':
      return `${lo} < ${q()}`
    case 'ge':
      return `${hi} >= ${q()}`
    case 'le':
      return `${lo} <= ${q()}`
    case 'sa':
      return `${lo} >= ${bind(t.hi)}`
    case 'eb':
      return `${hi} < ${bind(t.lo)}`
    case 'ap':
      return `${lo} <= ${bind(t.hi)} AND ${hi} >= ${bind(t.lo)}`
  }
}

/** The same comparison for a point value v (lo = hi = v), as a seekable range on v. */
function pointRange(bind: Bind, t: RangeTest, v: string): string | undefined {
  switch (t.prefix) {
    case 'ne':
      return undefined
    case 'ap':
      return `${v} >= ${bind(t.lo)} AND ${v} <= ${bind(t.hi)}`
  }
  return numberPredicate(bind, t, v, v)
}

/** The unit tests of a quantity value on a row's code and system columns. */
function unitTerms(bind: Bind, t: QuantityTest, row: { code: string; system: string }): string {
  const parts: string[] = []
  if (t.code !== undefined) parts.push(` AND ${row.code} = ${bind(t.code)}`)
  if (t.system !== undefined) parts.push(` AND ${row.system} = ${bind(t.system)}`)
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
  const quantity = table === QUANTITY
  const units = (bind: Bind, t: QuantityTest, n: NumericRow) =>
    quantity ? unitTerms(bind, t, n) : ''
  const test =
    (t: QuantityTest): Alt<NumericRow> =>
    (n, bind) =>
      `${numberPredicate(bind, t, n.lo, n.hi)}${units(bind, t, n)}`
  // Point values (lo = hi = v) are sought by v; intervals (Range, comparator) are few.
  const seeks = tests.flatMap((t): Seek<NumericRow>[] => [
    {
      where: (n, bind) => {
        const range = pointRange(bind, t, n.v) ?? numberPredicate(bind, t, n.lo, n.hi)
        return `${n.lo} = ${n.hi} AND ${range}${units(bind, t, n)}`
      },
    },
    { index: table.intervals, where: (n, bind) => `${n.lo} < ${n.hi} AND ${test(t)(n, bind)}` },
  ])
  const seekable = !quantity || tests.every((t) => t.code !== undefined)
  return {
    rank: tests.some((t) => t.prefix === 'ne') ? 6 : seekable ? 4 : 5,
    pkOnly: true,
    set: setOf(ctx, table, sps, seeks),
    probe: (r) => probeOf(ctx, table, sps, r, tests.map(test)),
  }
}

export const compileNumber = (sps: number[], tests: RangeTest[], ctx: CompileContext) =>
  compileNumeric(NUMBER, sps, tests, ctx)
export const compileQuantity = (sps: number[], tests: QuantityTest[], ctx: CompileContext) =>
  compileNumeric(QUANTITY, sps, tests, ctx)

/** The test on a composite row's last component (columns a, b, v, lo, hi of ix_composite). */
function lastPredicate(bind: Bind, last: LastTest, c: Qualified<typeof COMPOSITE>): string {
  switch (last.kind) {
    case 'token': {
      const parts: string[] = []
      if (last.value.code !== undefined) parts.push(`${c.a} = ${bind(last.value.code)}`)
      if (last.value.system !== undefined) parts.push(`${c.b} = ${bind(last.value.system)}`)
      return parts.join(' AND ')
    }
    case 'string':
      return `${c.a} >= ${bind(last.norm)} AND ${c.a} < ${bind(last.norm + PREFIX_END)}`
    case 'uri':
      return `${c.a} = ${bind(last.value)}`
    case 'reference':
      return `${c.a} ${isIn(bind, last.targets)}`
    case 'date':
      return datePredicate(bind, last.test, c.lo, c.hi)
    case 'number':
      return numberPredicate(bind, last.test, c.lo, c.hi)
    case 'quantity':
      return (
        numberPredicate(bind, last.test, c.lo, c.hi) +
        unitTerms(bind, last.test, { code: c.a, system: c.b })
      )
  }
}

export function compileComposite(sps: number[], tests: CompositeTest[], ctx: CompileContext): Cond {
  const alts = tests.map(
    (t): Alt<Qualified<typeof COMPOSITE>> =>
      (c, bind) =>
        `${c.key} = ${bind(t.key)} AND ${lastPredicate(bind, t.last, c)}`
  )
  const cond: Cond = {
    rank: 2,
    pkOnly: true,
    set: setOf(
      ctx,
      COMPOSITE,
      sps,
      alts.map((where) => ({ where }))
    ),
    // No by-resource index on ix_composite: each value seeks (sp, key, pk).
    probe: (r) => probeOf(ctx, COMPOSITE, sps, r, alts),
  }
  if (sps.length === 1 && tests.length === 1) {
    cond.walk = walkOn(ctx, COMPOSITE, sps[0]!, (c) => alts[0]!(c, ctx.b.bind))
  }
  return cond
}

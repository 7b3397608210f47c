// The OR-ed values of one filter (search.html#combining: `code=a,b,c`) as few statements' worth of SQL.
// Each value is an alternative: a condition on one index row whose values are written with a `bind`
// function. Alternatives whose SQL is the same but for those values (`code = ?`, `norm >= ? AND norm <
// ?`) form a group; a group of several becomes ONE seek driven by a json_each list of their values
// (`FROM json_each(?) j CROSS JOIN ix_token x WHERE x.code = j.value ->> 0`), so a filter costs a few
// SELECTs and parameters whatever its number of values, and the planner still seeks the index once per
// value. A lone alternative is written with plain parameters, exactly as before lists existed.

import type { Bind } from './binder.ts'
import { anyOf, spIs, unionSet, type CompileContext } from './filter-sql.ts'
import { at, type Qualified } from '../index/tables.ts'

/** An index table as the catalogue describes it, with its by-resource index when it has one. */
type Table = { name: string; columns: readonly string[]; byPk?: string }

/** One alternative: a condition on the index row `row`, its values written with `bind`. */
export type Alt<R> = (row: R, bind: Bind) => string

/** An alternative as read for a set: its condition and the index to seek (the primary key if none). */
export interface Seek<R> {
  where: Alt<R>
  index?: string
}

interface Group<R> extends Seek<R> {
  /** Each member's values, in the order its condition binds them. */
  rows: (string | number)[][]
}

/** A bind function that numbers distinct values in order of first use (`first(i)` is their SQL). */
function numbering(first: (i: number, value: string | number) => string): Bind {
  const known = new Map<string, string>()
  let n = 0
  return (value) => {
    const key = `${typeof value}:${value}`
    let ref = known.get(key)
    if (ref === undefined) {
      ref = first(n++, value)
      known.set(key, ref)
    }
    return ref
  }
}

/** Alternatives grouped by their SQL with values left out (and the index they seek). */
function groups<R>(template: R, seeks: readonly Seek<R>[]): Group<R>[] {
  const out = new Map<string, Group<R>>()
  for (const seek of seeks) {
    const values: (string | number)[] = []
    const sql = seek.where(
      template,
      numbering((i, value) => {
        values.push(value)
        return `#${i}#`
      })
    )
    const key = `${seek.index ?? ''}\n${sql}`
    const group = out.get(key)
    if (group) group.rows.push(values)
    else out.set(key, { ...seek, rows: [values] })
  }
  return [...out.values()]
}

/** A group as SQL: its json_each source when it is a list, and its condition on a row. */
interface Grouped<R> {
  /** `json_each(?N) jK` reading the members' values; undefined for a lone alternative. */
  source?: string
  index?: string
  where: (row: R) => string
}

/**
 * `seeks` grouped (by their SQL on `template`, a row of the table under any alias): a lone
 * alternative reads plain parameters; a group of several reads the k-th value of each member from
 * the current row of a json_each list.
 */
export function grouped<R>(
  ctx: CompileContext,
  template: R,
  seeks: readonly Seek<R>[]
): Grouped<R>[] {
  return groups(template, seeks).map((group) => {
    if (group.rows.length === 1) {
      return { ...group, where: (row: R) => group.where(row, ctx.b.bind) }
    }
    const j = ctx.a.next('j')
    const bind = numbering((i) => `${j}.value ->> ${i}`)
    return {
      source: `json_each(${ctx.b.bind(JSON.stringify(group.rows))}) ${j}`,
      index: group.index,
      where: (row: R) => group.where(row, bind),
    }
  })
}

/** Uncorrelated SELECT of the pks of `table`'s rows (parameters `sps`) matching any of `seeks`. */
export function setOf<T extends Table>(
  ctx: CompileContext,
  table: T,
  sps: readonly number[],
  seeks: readonly Seek<Qualified<T>>[]
): string {
  const selects = grouped(ctx, at(table, 'x'), seeks).map((g) => {
    const x = ctx.a.next('x')
    const own = `${table.name} ${x}${g.index ? ` INDEXED BY ${g.index}` : ''}`
    // The list is the outer loop: one seek per value, as for a lone value (or the IN list of old).
    const from = g.source ? `${g.source} CROSS JOIN ${own}` : own
    return `SELECT ${x}.pk AS pk FROM ${from} WHERE ${spIs(ctx, x, sps)} AND ${g.where(at(table, x))}`
  })
  return unionSet(selects)
}

/**
 * Boolean SQL: has resource `r` a row in `table` matching any of `alts`? Sought by pk through the
 * table's by-resource index when it has one (the values of a list are then read per row); without
 * one, each value drives a seek of the primary key (sp, value ..., pk).
 */
export function probeOf<T extends Table>(
  ctx: CompileContext,
  table: T,
  sps: readonly number[],
  r: string,
  alts: readonly Alt<Qualified<T>>[]
): string {
  const all = grouped(
    ctx,
    at(table, 'x'),
    alts.map((where) => ({ where }))
  )
  const exists = (source: string | undefined, where: (row: Qualified<T>) => string) => {
    const w = ctx.a.next('w')
    const own = table.byPk ? `${table.name} ${w} INDEXED BY ${table.byPk}` : `${table.name} ${w}`
    const from = !source
      ? own
      : table.byPk
        ? `${own} CROSS JOIN ${source}`
        : `${source} CROSS JOIN ${own}`
    return (
      `EXISTS (SELECT 1 FROM ${from} ` +
      `WHERE ${w}.pk = ${r}.pk AND ${spIs(ctx, w, sps)} AND ${where(at(table, w))})`
    )
  }
  const lone = all.filter((g) => !g.source)
  const terms = all.filter((g) => g.source).map((g) => exists(g.source, g.where))
  if (table.byPk && lone.length) {
    terms.unshift(exists(undefined, (row) => anyOf(lone.map((g) => g.where(row)))))
  } else {
    // Without a by-resource index each alternative seeks the primary key on its own.
    terms.unshift(...lone.map((g) => exists(undefined, g.where)))
  }
  return anyOf(terms)
}

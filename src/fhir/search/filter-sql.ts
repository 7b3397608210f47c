// What a compiled filter is (Cond) and the SQL fragments every filter compiler builds it from: a set
// of pks read from an index table, a probe of one resource through the table's by-resource index, a
// pk-ordered walk of one index range. Every index table starts with `sp` and ends with `pk`
// (index/tables.ts); table and index names come from that catalogue, values are always bound.

import type { Aliases, Binder } from './binder.ts'
import type { Filter } from './request.ts'
import { at, type Qualified } from '../index/tables.ts'

export interface Cond {
  /** How few resources the filter is expected to match: 0-1 a handful, 3 some, 9 cannot drive. */
  rank: number
  /** Uncorrelated SELECT whose `pk` column lists matching resources (duplicates allowed). */
  set?: string
  /** One index range in pk order; `alias`.pk is the resource (a pk may repeat consecutively). */
  walk?: { from: string; where: string; alias: string }
  /** A cheaper set to count instead of `set` when deciding whether to read it whole (_has). */
  guard?: string
  /** Boolean SQL: does the resource row with alias `r` match? */
  probe(r: string): string
  /** The probe reads only `r.pk`, so any row with a pk column (an index row) can stand in for r. */
  pkOnly?: boolean
}

export interface CompileContext {
  b: Binder
  a: Aliases
  /** The resource types the filter applies to (one, or several for a system search). */
  types: readonly string[]
}

/** Compiles one filter (cond.ts); chains and `_has` are handed it to compile their inner filters. */
export type CompileFilter = (filter: Filter, ctx: CompileContext) => Cond

/** An index table as the catalogue describes it. */
type Table = { name: string; columns: readonly string[] }
/** A table with a by-resource (pk, sp) index. */
type ProbedTable = Table & { byPk: string }

/** The end of a prefix range: every string starting with `prefix` sorts below it (BINARY collation). */
export const PREFIX_END = '\u{10FFFF}'

/** `alias.sp = ?` or `alias.sp IN (...)`. */
export function spIs(ctx: CompileContext, alias: string, sps: readonly number[]): string {
  return `${alias}.sp ${ctx.b.isIn(sps)}`
}

/** A set that is the union of per-alternative SELECTs. */
export function unionSet(selects: string[]): string {
  return selects.length === 1
    ? selects[0]!
    : selects.map((s) => `SELECT pk FROM (${s})`).join(' UNION ALL ')
}

/** OR of alternatives, parenthesised. */
export const anyOf = (terms: string[]) =>
  terms.length === 1 ? terms[0]! : `(${terms.map((t) => `(${t})`).join(' OR ')})`

/** A condition on the columns of one index row. */
export type Where<T extends Table> = (row: Qualified<T>) => string

/** `SELECT pk FROM table WHERE sp ... AND where` (an index set). */
export function selectPks<T extends Table>(
  ctx: CompileContext,
  table: T,
  sps: readonly number[],
  where: Where<T>
): string {
  return `SELECT pk FROM ${table.name} x WHERE ${spIs(ctx, 'x', sps)} AND ${where(at(table, 'x'))}`
}

/** EXISTS over the rows of resource `r` in `table`, sought through its by-resource index. */
export function probeBy<T extends ProbedTable>(
  ctx: CompileContext,
  table: T,
  sps: readonly number[],
  r: string,
  where: Where<T>
): string {
  const a = ctx.a.next('w')
  return (
    `EXISTS (SELECT 1 FROM ${table.name} ${a} INDEXED BY ${table.byPk} ` +
    `WHERE ${a}.pk = ${r}.pk AND ${spIs(ctx, a, sps)} AND ${where(at(table, a))})`
  )
}

/** A pk-ordered walk of one (sp, value) range of `table`. */
export function walkOn<T extends Table>(
  ctx: CompileContext,
  table: T,
  sp: number,
  where: Where<T>
): NonNullable<Cond['walk']> {
  const d = ctx.a.next('d')
  return {
    from: `${table.name} ${d}`,
    where: `${spIs(ctx, d, [sp])} AND ${where(at(table, d))}`,
    alias: d,
  }
}

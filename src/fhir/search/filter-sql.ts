// What a compiled filter is (Cond) and the SQL fragments every filter compiler shares: the `sp` test,
// AND and OR as balanced trees and unions nested a few SELECTs at a time (D1's expression depth and
// compound SELECT limits, limits.ts), and the pk-ordered walk of one index range. Sets and probes
// over the values of a filter are built in alternatives.ts. Every index table starts with `sp` and
// ends with `pk` (index/tables.ts); table and index names come from that catalogue, values are
// always bound.

import type { Aliases, Binder } from './binder.ts'
import type { Filter, RestrictionFilters } from './request.ts'
import { at, type Qualified } from '../index/tables.ts'
import { D1_MAX_COMPOUND } from './limits.ts'

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
  /** Granular scope restrictions: what chains and `_has` may match of the types they traverse. */
  restrictions?: RestrictionFilters
}

/** Compiles one filter (cond.ts); chains and `_has` are handed it to compile their inner filters. */
export type CompileFilter = (filter: Filter, ctx: CompileContext) => Cond

/** An index table as the catalogue describes it. */
type Table = { name: string; columns: readonly string[] }

/** The end of a prefix range: every string starting with `prefix` sorts below it (BINARY collation). */
export const PREFIX_END = '\u{10FFFF}'

/** `alias.sp = ?` or `alias.sp IN (...)`. */
export function spIs(ctx: CompileContext, alias: string, sps: readonly number[]): string {
  return `${alias}.sp ${ctx.b.isIn(sps)}`
}

/** Terms joined by `op` as a balanced tree, so D1's expression depth limit grows with log2(n). */
function balanced(terms: readonly string[], op: 'AND' | 'OR'): string {
  if (terms.length === 1) return terms[0]!
  const mid = Math.ceil(terms.length / 2)
  const side = (part: readonly string[]) =>
    part.length === 1 ? `(${part[0]})` : `(${balanced(part, op)})`
  return `${side(terms.slice(0, mid))} ${op} ${side(terms.slice(mid))}`
}

/** OR of alternatives, parenthesised. */
export const anyOf = (terms: readonly string[]) =>
  terms.length === 1 ? terms[0]! : `(${balanced(terms, 'OR')})`

/** AND of conditions, parenthesised. */
export const allOf = (terms: readonly string[]) =>
  terms.length === 1 ? terms[0]! : `(${balanced(terms, 'AND')})`

/** UNION ALL terms per compound SELECT: D1 accepts D1_MAX_COMPOUND, one is kept in reserve. */
const UNION_FAN = D1_MAX_COMPOUND - 1

/** A set that is the union of per-alternative SELECTs, nested so no compound is longer than UNION_FAN. */
export function unionSet(selects: readonly string[]): string {
  if (selects.length === 1) return selects[0]!
  if (selects.length <= UNION_FAN)
    return selects.map((s) => `SELECT pk FROM (${s})`).join(' UNION ALL ')
  const size = Math.ceil(selects.length / UNION_FAN)
  const parts: string[] = []
  for (let i = 0; i < selects.length; i += size) parts.push(unionSet(selects.slice(i, i + size)))
  return parts.map((s) => `SELECT pk FROM (${s})`).join(' UNION ALL ')
}

/** A condition on the columns of one index row. */
export type Where<T extends Table> = (row: Qualified<T>) => string

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

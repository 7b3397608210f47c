// The parts every page query is built of, whichever shape plan.ts or sort.ts picks: the compiled
// filters of a request, the columns a page returns, the type test and the probes, the walk over a
// type's rows, and the guards that let exactly one of several alternative branches read rows.

import { allOf, type CompileContext, type Cond } from './filter-sql.ts'
import { RESOURCE_INDEXES } from '../index/tables.ts'

export interface Query {
  sql: string
  params: unknown[]
}

/** `missing`: the rows without a value for the (single) sort key, which come after the others. */
export type Segment = 'values' | 'missing'

export interface Compiled {
  /** SQL for the candidate-set size up to which a set is read whole (a guard's threshold). */
  threshold: string
  /** CTE computing the threshold, when it is not a fixed number. */
  thresholdCte?: string
  ctx: CompileContext
  conds: Cond[]
  /** Filters with an index set, most selective first. */
  drivers: Cond[]
}

/** The columns every page query returns (then sort keys k0, n0, ... when sorted). */
export const columns = (r: string) =>
  `${r}.pk AS pk, ${r}.id AS id, ${r}.type AS type, ${r}.body AS body`

export function typeIs(c: Compiled, r: string): string {
  return `${r}.type ${c.ctx.b.isIn(c.ctx.types)}`
}

/** Probes of every filter except `except`, as one balanced AND prefixed with AND ('' if none). */
export function probes(c: Compiled, r: string, except?: Cond): string {
  const terms = c.conds.filter((x) => x !== except).map((x) => x.probe(r))
  return terms.length ? ` AND ${allOf(terms)}` : ''
}

/** The type's rows in pk order (M3): the type index for one type, the table itself for several. */
export function typeWalk(c: Compiled, r: string): string {
  if (c.ctx.types.length === 1) return `resource ${r} INDEXED BY ${RESOURCE_INDEXES.byType}`
  return `resource ${r} NOT INDEXED`
}

/** Guards: the threshold (when computed) and the candidate set's size, counted up to it + 1. */
export function guardCtes(c: Compiled, name: string, set: string, after?: string): string[] {
  const count = `SELECT count(*) FROM (SELECT 1 FROM (${set}) LIMIT ${c.threshold} + 1)`
  // A second guard is only counted when the first said "too many".
  const value = after
    ? `CASE WHEN (SELECT n FROM ${after}) <= ${c.threshold} THEN 0 ELSE (${count}) END`
    : `(${count})`
  const guard = `${name} AS MATERIALIZED (SELECT ${value} AS n)`
  return !after && c.thresholdCte ? [c.thresholdCte, guard] : [guard]
}

/** A LIMIT that is `limit` when `when` holds and 0 otherwise. */
export function limitWhen(c: Compiled, when: string, limit: number): string {
  return `(SELECT CASE WHEN ${when} THEN ${c.ctx.b.bind(limit)} ELSE 0 END)`
}

/** Statement holding several alternative branches of which the guards let exactly one read rows. */
export function guarded(ctes: string[], branches: string[], orderBy: string): string {
  const union = branches.map((b) => `SELECT * FROM (${b})`).join(' UNION ALL ')
  return `WITH ${ctes.join(', ')} ${union} ORDER BY ${orderBy}`
}

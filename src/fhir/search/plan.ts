// The page query of a search (docs/search.md "Query plans"). Without _sort results are in pk order,
// from one of three shapes: walk a pk-ordered index range (M1), read a filter's index set and look the
// rows up in pk order (M2), or walk the type's rows in pk order testing each (M3). When no filter is
// known to be selective, one statement holds both M2 and a walk, and a count of the candidate set
// (capped at the threshold) picks the one that runs: LIMIT 0 stops the other before it reads a row.

import { Aliases, Binder } from './binder.ts'
import { compile } from './cond.ts'
import { searchedRestriction } from './cond-any.ts'
import { mergeDateRanges } from './date-ranges.ts'
import type { CompileContext, Cond } from './filter-sql.ts'
import {
  columns,
  guardCtes,
  guarded,
  limitWhen,
  probes,
  typeIs,
  typeWalk,
  type Compiled,
  type Query,
  type Segment,
} from './query-parts.ts'
import type { Cursor, SearchRequest } from './request.ts'
import { sortedPage, sortSegmented } from './sort.ts'

/**
 * Largest candidate set read as a whole (M2, S1); above it the query walks in result order instead.
 * Reading a set costs about a row per candidate; a walk about a row per resource it passes, that is
 * page / selectivity. They break even near sqrt(page x resources), so the threshold is about
 * sqrt(SET_FACTOR x resources), resources estimated by the largest pk, within [SET_MIN, SET_MAX]. It is
 * computed in SQL as steps (no math functions needed): the value at each band's middle, bands 4x wide.
 */
const SET_FACTOR = 16
const SET_MIN = 100
const SET_MAX = 5000

let thresholdSteps: string | undefined

/** `CASE WHEN n < 625 THEN 100 WHEN n < 2500 THEN 141 ...` over `n`, the estimated number of resources. */
function thresholdCase(n: string): string {
  if (!thresholdSteps) {
    const steps: string[] = []
    for (let band = 625; Math.sqrt(SET_FACTOR * band) < SET_MAX; band *= 4) {
      const value = Math.min(
        SET_MAX,
        Math.max(SET_MIN, Math.round(Math.sqrt(SET_FACTOR * band * 2)))
      )
      steps.push(`WHEN #N < ${band * 4} THEN ${value}`)
    }
    thresholdSteps = `CASE WHEN #N < 625 THEN ${SET_MIN} ${steps.join(' ')} ELSE ${SET_MAX} END`
  }
  return thresholdSteps.replaceAll('#N', n)
}

/**
 * The request's filters compiled, with the granular scope restriction of the searched types as one
 * more filter (restrictions of the types it reaches apply inside chains, `_has` and includes).
 */
function compileRequest(request: SearchRequest): Compiled {
  const ctx: CompileContext = {
    b: new Binder(),
    a: new Aliases(),
    types: request.types,
    restrictions: request.restrictions,
  }
  const filters = mergeDateRanges(request.filters.map((f) => f.filter))
  const restriction = searchedRestriction(request.types, request.restrictions)
  if (restriction) filters.push(restriction)
  const conds = filters.map((f) => compile(f, ctx))
  const drivers = conds.filter((c) => c.set).sort((x, y) => x.rank - y.rank)
  const b = ctx.b
  if (request.setLimit !== undefined)
    return { threshold: b.bind(request.setLimit), ctx, conds, drivers }
  return {
    threshold: '(SELECT n FROM lim)',
    thresholdCte: `lim AS MATERIALIZED (SELECT ${thresholdCase('m')} AS n FROM (SELECT coalesce(max(pk), 0) AS m FROM resource))`,
    ctx,
    conds,
    drivers,
  }
}

/** The page query: `limit` rows after (or before) `cursor`, in `segment` for a sorted search. */
export function pageQuery(
  request: SearchRequest,
  cursor: Cursor | undefined,
  limit: number,
  segment: Segment = 'values'
): Query {
  const c = compileRequest(request)
  const sql = request.sort.length
    ? sortedPage(c, request, cursor, limit, segment)
    : pkPage(c, cursor, limit)
  return { sql, params: c.ctx.b.values }
}

/** True when a sorted page may need a second query for the rows without a sort value. */
export function isSegmented(request: SearchRequest): boolean {
  return sortSegmented(request, compileRequest(request))
}

function pkPage(c: Compiled, cursor: Cursor | undefined, limit: number): string {
  const b = c.ctx.b
  const dir = cursor?.before ? 'DESC' : 'ASC'
  const keyset = (col: string) =>
    cursor ? ` AND ${col} ${cursor.before ? '<' : '>'} ${b.bind(cursor.pk)}` : ''
  const lim = (when?: string) => (when ? limitWhen(c, when, limit) : b.bind(limit))
  const m1 = (d: Cond, when?: string) => {
    const w = d.walk!
    return (
      `SELECT ${columns('r')} FROM ${w.from} CROSS JOIN resource r ON r.pk = ${w.alias}.pk WHERE ${w.where}` +
      `${keyset(`${w.alias}.pk`)} AND r.deleted = 0 AND ${typeIs(c, 'r')}${probes(c, 'r', d)} ` +
      `GROUP BY ${w.alias}.pk ORDER BY ${w.alias}.pk ${dir} LIMIT ${lim(when)}`
    )
  }
  const m2 = (d: Cond, when?: string) =>
    `SELECT ${columns('r')} FROM resource r WHERE r.pk IN (${d.set})${keyset('r.pk')} AND r.deleted = 0 ` +
    `AND ${typeIs(c, 'r')}${probes(c, 'r', d)} ORDER BY r.pk ${dir} LIMIT ${lim(when)}`
  const m3 = (when?: string) =>
    `SELECT ${columns('r')} FROM ${typeWalk(c, 'r')} WHERE ${typeIs(c, 'r')} AND r.deleted = 0` +
    `${keyset('r.pk')}${probes(c, 'r')} ORDER BY r.pk ${dir} LIMIT ${lim(when)}`

  const [best, second] = c.drivers
  if (!best) return m3()
  if (best.rank <= 1 || (c.conds.length === 1 && best.walk)) return best.walk ? m1(best) : m2(best)
  // Not known to be selective: count the candidates and let the statement pick its branch.
  const max = c.threshold
  const ctes = guardCtes(c, 'g1', best.guard ?? best.set!)
  const branches = [m2(best, `(SELECT n FROM g1) <= ${max}`)]
  let rest = `(SELECT n FROM g1) > ${max}`
  if (second) {
    ctes.push(...guardCtes(c, 'g2', second.guard ?? second.set!, 'g1'))
    branches.push(m2(second, `${rest} AND (SELECT n FROM g2) <= ${max}`))
    rest = `${rest} AND (SELECT n FROM g2) > ${max}`
  }
  branches.push(best.walk ? m1(best, rest) : m3(rest))
  return guarded(ctes, branches, `pk ${dir}`)
}

/** Counts matches up to `cap` + 1 (for `_total` and `_summary=count`). */
export function countQuery(request: SearchRequest, cap: number): Query {
  const c = compileRequest(request)
  const b = c.ctx.b
  const best = c.drivers[0]
  const inner = best
    ? `SELECT DISTINCT r.pk FROM (${best.set}) s CROSS JOIN resource r ON r.pk = s.pk ` +
      `WHERE r.deleted = 0 AND ${typeIs(c, 'r')}${probes(c, 'r', best)}`
    : `SELECT r.pk FROM ${typeWalk(c, 'r')} WHERE ${typeIs(c, 'r')} AND r.deleted = 0${probes(c, 'r')}`
  return { sql: `SELECT count(*) AS n FROM (${inner} LIMIT ${b.bind(cap + 1)})`, params: b.values }
}

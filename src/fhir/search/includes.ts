// _include and _revinclude (R4 search.html#include): resources the page's matches refer to through
// the named reference parameters, and resources that refer to them. `:iterate` repeats the step on
// what was just included, up to MAX_ITERATE levels. Each level is one statement; page pks and target
// lists travel as one JSON parameter each. Every resource appears once in the Bundle. A resource of a
// type with a granular scope restriction is included only when it matches it (so `:iterate` goes on
// only from those).

import { Aliases, Binder } from './binder.ts'
import { compile } from './cond.ts'
import { byRestriction } from './cond-any.ts'
import { anyOf, unionSet } from './filter-sql.ts'
import { MAX_INCLUDED, MAX_ITERATE } from './limits.ts'
import type { IncludeSpec, RestrictionFilters, SearchRequest } from './request.ts'
import type { SearchRow } from './search-result.ts'
import { at, INDEX_TABLES } from '../index/tables.ts'

const REF = INDEX_TABLES.ref
/** The index row of a reference, under alias x. */
const x = at(REF, 'x')

type Raw = { pk: number; type: string; id: string; body: string }

/**
 * Forward: the resources `rows` refer to through `specs`' parameters, of the types each include may
 * bring in (its `targets`): a stored reference to another type is not followed.
 */
function forwardSelect(b: Binder, specs: IncludeSpec[], rows: SearchRow[]): string[] {
  const byTargets = new Map<string, { targets: readonly string[] | undefined; sps: number[] }>()
  for (const s of specs) {
    if (!rows.some((r) => r.type === s.source)) continue
    const key = JSON.stringify(s.targets ?? null)
    const group = byTargets.get(key) ?? { targets: s.targets, sps: [] }
    group.sps.push(...s.sps)
    byTargets.set(key, group)
  }
  if (!byTargets.size) return []
  const pks = b.list(rows.map((r) => r.pk))
  return [...byTargets.values()].map(({ targets, sps }) => {
    const type = targets ? ` AND r.type ${b.isIn(targets)}` : ''
    return (
      `SELECT r.pk AS pk FROM ${pks} j CROSS JOIN ${REF.name} x INDEXED BY ${REF.byPk} ` +
      `ON ${x.pk} = j.value AND ${x.sp} IN ${b.list([...new Set(sps)])} CROSS JOIN resource r ` +
      `ON r.type = substr(${x.target}, 1, instr(${x.target}, '/') - 1) ` +
      `AND r.id = substr(${x.target}, instr(${x.target}, '/') + 1) ` +
      `WHERE r.deleted = 0${type}`
    )
  })
}

/** Reverse: the resources of `specs`' source types that refer to `rows`. */
function reverseSelect(b: Binder, specs: IncludeSpec[], rows: SearchRow[]): string[] {
  return specs.flatMap((s) => {
    const targets = rows
      .filter((r) => !s.target || r.type === s.target)
      .map((r) => `${r.type}/${r.id}`)
    if (!targets.length) return []
    return [
      `SELECT r.pk AS pk FROM ${b.list(targets)} j CROSS JOIN ${REF.name} x ` +
        `ON ${x.sp} IN ${b.list(s.sps)} AND ${x.target} = j.value CROSS JOIN resource r ON r.pk = ${x.pk} ` +
        `WHERE r.deleted = 0 AND r.type = ${b.bind(s.source)}`,
    ]
  })
}

/** ` AND <the row r0 of a restricted type matches its restriction>`; '' without restrictions. */
function visible(b: Binder, restrictions: RestrictionFilters | undefined): string {
  if (!restrictions?.size) return ''
  const a = new Aliases()
  const types = [...restrictions.keys()]
  const restricted = byRestriction(types, restrictions).map(([restriction, of]) => {
    const cond = compile(restriction.filter, { b, a, types: of, restrictions })
    return `(r0.type ${b.isIn(of)} AND ${cond.probe('r0')})`
  })
  return ` AND ${anyOf([`r0.type NOT IN ${b.list(types)}`, ...restricted])}`
}

export async function runIncludes(
  db: D1Database,
  request: SearchRequest,
  matches: SearchRow[]
): Promise<{ rows: SearchRow[]; truncated?: string }> {
  const seen = new Set(matches.map((r) => r.pk))
  const out: SearchRow[] = []
  let sources = matches
  for (let level = 0; level <= MAX_ITERATE && sources.length; level++) {
    const include = request.include.filter((s) => level === 0 || s.iterate)
    const revinclude = request.revinclude.filter((s) => level === 0 || s.iterate)
    const b = new Binder()
    const selects = [
      ...forwardSelect(b, include, sources),
      ...reverseSelect(b, revinclude, sources),
    ]
    if (!selects.length) break
    const left = MAX_INCLUDED - out.length
    const sql =
      `SELECT pk, type, id, body FROM resource r0 WHERE pk IN (${unionSet(selects)})` +
      `${visible(b, request.restrictions)} ORDER BY pk LIMIT ${b.bind(left + 1)}`
    const { results } = await db
      .prepare(sql)
      .bind(...b.values)
      .all<Raw>()
    const fresh = results.filter((r) => !seen.has(r.pk)).map((r) => ({ ...r, keys: [] }))
    for (const r of fresh) seen.add(r.pk)
    if (out.length + fresh.length > MAX_INCLUDED || results.length > left) {
      out.push(...fresh.slice(0, MAX_INCLUDED - out.length))
      return { rows: out, truncated: `Included resources were limited to ${MAX_INCLUDED} per page` }
    }
    out.push(...fresh)
    sources = fresh
  }
  return { rows: out }
}

// Granular SMART scopes (scopes-and-launch-context.html, `system/Observation.rs?category=laboratory`)
// as search filters: each restriction of a type is parsed as a search of that type, its parameters
// AND-ed, the restrictions of one type OR-ed (an `anyOf` filter, cond-any.ts). The search engine
// then applies them wherever it reads the type (plan.ts, cond-link.ts, includes.ts), and a read
// tests its one resource against them in the same query that reads it (`readIfVisible`). A
// restriction the engine cannot apply exactly (an unknown or unsupported parameter, a chain, a
// result parameter, no criteria) is refused with 403, never ignored: ignoring it would widen access.
// A `patient/` scope's `_compartment=Patient/<id>` (COMPARTMENT_PARAM) is first expanded, type by
// type, into one alternative per parameter of the compartment definition (compartment.ts), each
// AND-ed with the rest of its restriction; on a type outside the compartment it matches nothing, and
// a type left with no alternative at all is refused.

import { insufficientScope } from '../../auth/challenges.ts'
import {
  COMPARTMENT_PARAM,
  restrictionText,
  scopeFor,
  type ScopeLetter,
  type ScopeQuery,
} from '../../config/scopes.ts'
import { FhirError } from '../../errors/outcome.ts'
import { Aliases, Binder } from './binder.ts'
import { compartmentAlternatives } from './compartment.ts'
import { compile } from './cond.ts'
import { mergeDateRanges } from './date-ranges.ts'
import { parseSearch } from './parse.ts'
import type { Filter, Restriction, RestrictionFilters } from './request.ts'

/**
 * The filters of the granular restrictions of `letter` by type (from policy/scope-check.ts); 403
 * insufficient_scope for one that cannot be applied to its type. Types with the same restrictions
 * (those of a `*` scope) share one filter parsed for all of them, so a search over many types
 * compiles each restriction once (its parameter ids as one list), not once per type.
 */
export function restrictionFilters(
  restrictions: ReadonlyMap<string, readonly ScopeQuery[]>,
  letter: ScopeLetter,
  base: string
): RestrictionFilters {
  const groups = new Map<string, { types: string[]; queries: readonly ScopeQuery[] }>()
  for (const [type, written] of restrictions) {
    const queries = written.flatMap((query) => expandCompartment(type, query))
    // Only compartments that do not reach the type: nothing can match, refused rather than empty.
    if (!queries.length) throw outsideCompartment(type, written, letter)
    const key = JSON.stringify(queries)
    const group = groups.get(key)
    if (group) group.types.push(type)
    else groups.set(key, { types: [type], queries })
  }
  const out = new Map<string, Restriction>()
  for (const { types, queries } of groups.values()) {
    const restrictionOf = (of: string[]): Restriction => ({
      types: of,
      filter: {
        kind: 'anyOf',
        alternatives: queries.map((query) => ({ all: restrictionFilter(of, query, letter, base) })),
      },
    })
    let shared: Restriction | undefined
    try {
      shared = restrictionOf(types)
    } catch (err) {
      // One filter for all does not parse (a type lacks a parameter, or has it with another
      // type): type by type, so a refusal names the type that cannot apply it.
      if (!(err instanceof FhirError) || types.length === 1) throw err
    }
    for (const type of types) out.set(type, shared ?? restrictionOf([type]))
  }
  return out
}

/**
 * A restriction with `_compartment=<reference>` as one restriction per parameter that links `type`
 * to that compartment (OR-ed by the caller), the rest of it AND-ed to each; as it is without one.
 * None when `type` is not in the compartment: that alternative matches nothing (another
 * restriction of the type, such as a fhirUser's `_id`, may still).
 */
function expandCompartment(type: string, query: ScopeQuery): ScopeQuery[] {
  const compartments = query.filter(([name]) => name === COMPARTMENT_PARAM)
  if (!compartments.length) return [query]
  const rest = query.filter(([name]) => name !== COMPARTMENT_PARAM)
  let out: ScopeQuery[] = [rest]
  for (const [, reference] of compartments) {
    const alternatives = compartmentAlternatives(type, reference)
    if (!alternatives) return []
    out = out.flatMap((q) => alternatives.map((alt) => [...alt, ...q]))
  }
  return out
}

/** 403 for `type`, which the compartments of its restrictions do not reach. */
function outsideCompartment(
  type: string,
  written: readonly ScopeQuery[],
  letter: ScopeLetter
): FhirError {
  const reference = written.flat().find(([name]) => name === COMPARTMENT_PARAM)?.[1] ?? ''
  return insufficientScope(
    `the access token's ${reference} scopes reach only that compartment, and ${type} ` +
      `resources are not in it; it needs ${scopeFor(type, letter)}`,
    scopeFor(type, letter)
  )
}

/** One restriction's filters on `types` (AND-ed). */
function restrictionFilter(
  types: string[],
  query: ScopeQuery,
  letter: ScopeLetter,
  base: string
): Filter[] {
  const type = types.length === 1 ? types[0]! : '*'
  const refuse = (why: string) =>
    insufficientScope(
      `the access token's restriction ?${restrictionText(query)} of ${type} cannot be applied ` +
        `(${why}); it needs ${scopeFor(type, letter)}`,
      scopeFor(type, letter)
    )
  let request
  try {
    request = parseSearch(types, new URLSearchParams(query.map(([n, v]) => [n, v])), { base })
  } catch (err) {
    if (err instanceof FhirError) throw refuse(err.message)
    throw err
  }
  const problems = request.ignored.map((i) => `${i.name}: ${i.reason}`)
  const { include, revinclude, sort, total, summary, elements, cursor } = request
  if (include.length || revinclude.length || sort.length || total !== 'none')
    problems.push('result parameters are not criteria')
  if (summary || elements || cursor) problems.push('result parameters are not criteria')
  for (const { name, filter } of request.filters) {
    if (filter.kind === 'chain' || filter.kind === 'has') {
      problems.push(`${name} reaches other resources`)
    }
  }
  if (!request.filters.length) problems.push('it has no criteria')
  if (problems.length) throw refuse([...new Set(problems)].join('; '))
  return mergeDateRanges(request.filters.map((f) => f.filter))
}

/** The current row of a resource, and whether it matches `filter`. */
export interface VisibleRow {
  version: number
  lastUpdated: number
  deleted: boolean
  text: string
  visible: boolean
}

/**
 * Reads `type`/`id` and tests it against `filter` (a type's restriction) in the same statement: one
 * round trip, as the plain read.
 */
export async function readIfVisible(
  db: D1Database,
  type: string,
  id: string,
  filter: Filter
): Promise<VisibleRow | null> {
  const b = new Binder()
  const cond = compile(filter, { b, a: new Aliases(), types: [type] })
  const sql =
    `SELECT r.version AS version, r.last_updated AS last_updated, r.deleted AS deleted, ` +
    `r.body AS body, (${cond.probe('r')}) AS visible ` +
    `FROM resource r WHERE r.type = ${b.bind(type)} AND r.id = ${b.bind(id)}`
  const row = await db
    .prepare(sql)
    .bind(...b.values)
    .first<{
      version: number
      last_updated: number
      deleted: number
      body: string
      visible: number
    }>()
  return (
    row && {
      version: row.version,
      lastUpdated: row.last_updated,
      deleted: row.deleted === 1,
      text: row.body,
      visible: row.visible === 1,
    }
  )
}

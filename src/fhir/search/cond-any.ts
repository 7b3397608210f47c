// OR-ed alternatives, each an AND of filters (the `anyOf` filter), and where granular SMART scopes put
// them: a restricted type's resources must match one of its scope's restrictions (restrict.ts), as
// one more filter of a search of that type (`searchedRestriction`) and inside the chains and `_has`
// that traverse it (`withRestriction`). Compiled from the filters' own pieces: the probe is the OR of
// the alternatives' AND-ed probes; the set, when every alternative has an index set, is the union
// of each alternative's most selective set narrowed by its other probes. An alternative limited to
// some types tests the row's type. An AND of one filter compiles to that filter, walk included.

import {
  allOf,
  anyOf,
  unionSet,
  type CompileContext,
  type CompileFilter,
  type Cond,
} from './filter-sql.ts'
import type { Alternative, Filter, Restriction, RestrictionFilters } from './request.ts'

interface CompiledAlternative {
  types?: readonly string[]
  conds: Cond[]
  /** The alternative's most selective filter with an index set, if any. */
  driver?: Cond
}

export function compileAnyOf(
  alternatives: readonly Alternative[],
  ctx: CompileContext,
  compile: CompileFilter
): Cond {
  if (!alternatives.length) return { rank: 9, probe: () => '0' }
  const alts: CompiledAlternative[] = alternatives.map(({ types, all }) => {
    const conds = all.map((f) => compile(f, types ? { ...ctx, types } : ctx))
    const driver = conds.filter((c) => c.set).sort((x, y) => x.rank - y.rank)[0]
    return { types, conds, driver }
  })
  const only = alts.length === 1 && alts[0]!
  if (only && !only.types && only.conds.length === 1) return only.conds[0]!
  const typeIs = (types: readonly string[], r: string) => `${r}.type ${ctx.b.isIn(types)}`
  const matches = (alt: CompiledAlternative, r: string, except?: Cond) => {
    const terms = alt.conds.filter((c) => c !== except).map((c) => c.probe(r))
    if (alt.types) terms.unshift(typeIs(alt.types, r))
    return terms.length ? allOf(terms) : '1'
  }
  const cond: Cond = {
    rank: 9,
    probe: (r) => anyOf(alts.map((alt) => matches(alt, r))),
    pkOnly: alts.every((alt) => !alt.types && alt.conds.every((c) => c.pkOnly)),
  }
  if (alts.every((alt) => alt.driver)) {
    cond.rank = Math.max(...alts.map((alt) => alt.driver!.rank))
    cond.set = unionSet(
      alts.map((alt) => {
        const driver = alt.driver!
        if (!alt.types && alt.conds.length === 1) return driver.set!
        const q = ctx.a.next('q')
        return (
          `SELECT ${q}.pk AS pk FROM resource ${q} WHERE ${q}.pk IN (${driver.set}) ` +
          `AND ${matches(alt, q, driver)}`
        )
      })
    )
  }
  return cond
}

/** `inner` AND the restriction of `type`, when it has one. */
export function withRestriction(
  inner: Filter,
  type: string,
  restrictions: RestrictionFilters | undefined
): Filter {
  const restriction = restrictions?.get(type)
  if (!restriction) return inner
  const all = [inner, restriction.filter]
  // A restriction shared by several types also tests the type: its sets hold all of theirs.
  const types = restriction.types.length > 1 ? [type] : undefined
  return { kind: 'anyOf', alternatives: [{ types, all }] }
}

/**
 * The filter that limits a search of `types` to what the restrictions let it read: the type's
 * restriction for one type; for several, an alternative per restriction with the searched types it
 * restricts (and one for the unrestricted types, by type only). Undefined when no searched type is
 * restricted.
 */
export function searchedRestriction(
  types: readonly string[],
  restrictions: RestrictionFilters | undefined
): Filter | undefined {
  if (!restrictions || !types.some((t) => restrictions.has(t))) return undefined
  const only = types.length === 1 && restrictions.get(types[0]!)
  // The page query tests the searched type itself.
  if (only) return only.filter
  const alternatives: Alternative[] = byRestriction(types, restrictions).map(([r, of]) => ({
    types: of,
    all: [r.filter],
  }))
  const open = types.filter((t) => !restrictions.has(t))
  if (open.length) alternatives.unshift({ types: open, all: [] })
  return { kind: 'anyOf', alternatives }
}

/** The restricted ones of `types`, grouped by the restriction they share. */
export function byRestriction(
  types: readonly string[],
  restrictions: RestrictionFilters
): [Restriction, string[]][] {
  const groups = new Map<Restriction, string[]>()
  for (const type of types) {
    const restriction = restrictions.get(type)
    if (!restriction) continue
    const group = groups.get(restriction)
    if (group) group.push(type)
    else groups.set(restriction, [type])
  }
  return [...groups]
}

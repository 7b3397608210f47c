// Chained parameters and reverse chaining (R4 search.html#chaining, #has) over ix_ref. A chain finds
// the referenced resources that match the inner filter and then the resources that refer to them; a
// `_has` goes the other way. Both stream the inner result (no materialised lists) and both can also
// test one resource by seeks: ix_ref_pk forward, the (sp, target) key backward. The inner filters are
// compiled with the function the caller passes in (cond.ts's compile), AND-ed with the granular
// scope restriction of the type they search, if any: a chain or `_has` matches only through
// resources the caller may read.

import {
  anyOf,
  spIs,
  unionSet,
  type CompileContext,
  type CompileFilter,
  type Cond,
} from './filter-sql.ts'
import type { Filter } from './request.ts'
import { withRestriction } from './cond-any.ts'
import { at, INDEX_TABLES, RESOURCE_INDEXES } from '../index/tables.ts'

const REF = INDEX_TABLES.ref

/** The inner filter's matches of `type`, or a walk over the type when it has no index set. */
function innerSet(inner: Cond, type: string, ctx: CompileContext): string {
  if (inner.set) return inner.set
  const q = ctx.a.next('q')
  return (
    `SELECT ${q}.pk AS pk FROM resource ${q} INDEXED BY ${RESOURCE_INDEXES.byType} ` +
    `WHERE ${q}.type = ${ctx.b.bind(type)} AND ${q}.deleted = 0 AND ${inner.probe(q)}`
  )
}

export function compileChain(
  sps: number[],
  hops: { type: string; inner: Filter }[],
  ctx: CompileContext,
  compile: CompileFilter
): Cond {
  const b = ctx.b
  const compiled = hops.map((h) => ({
    type: h.type,
    inner: compile(withRestriction(h.inner, h.type, ctx.restrictions), { ...ctx, types: [h.type] }),
  }))
  const selects = compiled.map(({ type, inner }) => {
    const [i, p, x] = [ctx.a.next('i'), ctx.a.next('p'), ctx.a.next('x')]
    return (
      `SELECT ${x}.pk AS pk FROM (${innerSet(inner, type, ctx)}) ${i} ` +
      `CROSS JOIN resource ${p} ON ${p}.pk = ${i}.pk ` +
      `CROSS JOIN ${REF.name} ${x} ON ${spIs(ctx, x, sps)} AND ${at(REF, x).target} = ${b.bind(`${type}/`)} || ${p}.id ` +
      `WHERE ${p}.deleted = 0`
    )
  })
  return {
    rank: compiled.every((c) => c.inner.set) ? 3 : 7,
    pkOnly: true,
    set: unionSet(selects),
    probe: (r) =>
      anyOf(
        compiled.map(({ type, inner }) => {
          const [x, p] = [ctx.a.next('x'), ctx.a.next('p')]
          const target = at(REF, x).target
          return (
            `EXISTS (SELECT 1 FROM ${REF.name} ${x} INDEXED BY ${REF.byPk} CROSS JOIN resource ${p} ` +
            `ON ${p}.type = ${b.bind(type)} AND ${p}.id = substr(${target}, ${b.bind(type.length + 2)}) ` +
            `WHERE ${x}.pk = ${r}.pk AND ${spIs(ctx, x, sps)} AND ${target} > ${b.bind(`${type}/`)} ` +
            `AND ${target} < ${b.bind(`${type}0`)} AND ${p}.deleted = 0 AND ${inner.probe(p)})`
          )
        })
      ),
  }
}

export function compileHas(
  filter: Extract<Filter, { kind: 'has' }>,
  ctx: CompileContext,
  compile: CompileFilter
): Cond {
  const b = ctx.b
  const inner = compile(withRestriction(filter.inner, filter.type, ctx.restrictions), {
    ...ctx,
    types: [filter.type],
  })
  const prefix = b.bind(`${filter.targetType}/`)
  const [i, x, p] = [ctx.a.next('i'), ctx.a.next('x'), ctx.a.next('p')]
  const inners = innerSet(inner, filter.type, ctx)
  const target = at(REF, x).target
  const set =
    `SELECT ${p}.pk AS pk FROM (${inners}) ${i} ` +
    `CROSS JOIN ${REF.name} ${x} INDEXED BY ${REF.byPk} ON ${x}.pk = ${i}.pk AND ${spIs(ctx, x, filter.sps)} ` +
    `AND ${target} > ${prefix} AND ${target} < ${b.bind(`${filter.targetType}0`)} ` +
    `CROSS JOIN resource ${p} ON ${p}.type = ${b.bind(filter.targetType)} ` +
    `AND ${p}.id = substr(${target}, ${b.bind(filter.targetType.length + 2)})`
  return {
    rank: inner.set ? 3 : 7,
    set,
    // Each referring resource gives at most one target here, so its matches bound the set's size.
    guard: inners,
    probe: (r) => {
      const x2 = ctx.a.next('x')
      const refers = `${spIs(ctx, x2, filter.sps)} AND ${at(REF, x2).target} = ${prefix} || ${r}.id`
      // Index rows exist only for live resources: an index-only inner test needs no resource row.
      if (inner.pkOnly)
        return `EXISTS (SELECT 1 FROM ${REF.name} ${x2} WHERE ${refers} AND ${inner.probe(x2)})`
      const q = ctx.a.next('q')
      return (
        `EXISTS (SELECT 1 FROM ${REF.name} ${x2} CROSS JOIN resource ${q} ON ${q}.pk = ${x2}.pk ` +
        `WHERE ${refers} AND ${q}.deleted = 0 AND ${inner.probe(q)})`
      )
    },
  }
}

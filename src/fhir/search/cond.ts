// Filters compiled to SQL pieces the planner combines (docs/search.md "Query plans"): a `set` of
// matching pks read from an index, a pk-ordered `walk` when one index range yields pks in order, and
// a `probe` that tests one resource row with index seeks by pk. This file dispatches on the filter
// kind and compiles the token, text, string, reference, uri, `_id` and `:missing` filters; ranges are
// in cond-range.ts, chains and `_has` in cond-link.ts. Table and column names come from the catalogue
// (index/tables.ts); values are always bound.

import {
  compileComposite,
  compileDate,
  compileLastUpdated,
  compileNumber,
  compileQuantity,
} from './cond-range.ts'
import { compileChain, compileHas } from './cond-link.ts'
import { normalizeText } from '../index/normalize.ts'
import { at, INDEX_TABLES } from '../index/tables.ts'
import {
  anyOf,
  PREFIX_END,
  probeBy,
  selectPks,
  spIs,
  unionSet,
  walkOn,
  type CompileContext,
  type Cond,
} from './filter-sql.ts'
import type { Filter, TokenValue } from './request.ts'

const { token: TOKEN, tokenText: TEXT, string: STRING, ref: REF, uri: URI } = INDEX_TABLES

export function compile(filter: Filter, ctx: CompileContext): Cond {
  switch (filter.kind) {
    case 'id':
      return compileId(filter.values, ctx)
    case 'missing':
      return compileMissing(filter.sps, filter.missing, ctx)
    case 'token':
      return compileToken(filter.sps, filter.values, filter.not, filter.rank, ctx)
    case 'text':
      return compileText(filter.sps, filter.values, ctx)
    case 'string':
      return compileString(filter.sps, filter.mode, filter.values, ctx)
    case 'reference':
      return compileReference(filter.sps, filter.targets, ctx)
    case 'uri':
      return compileUri(filter.sps, filter.mode, filter.values, ctx)
    case 'date':
      return compileDate(filter.sps, filter.ranges, ctx)
    case 'lastUpdated':
      return compileLastUpdated(filter.ranges, ctx)
    case 'number':
      return compileNumber(filter.sps, filter.tests, ctx)
    case 'quantity':
      return compileQuantity(filter.sps, filter.tests, ctx)
    case 'composite':
      return compileComposite(filter.sps, filter.tests, ctx)
    case 'chain':
      return compileChain(filter.sps, filter.hops, ctx, compile)
    case 'has':
      return compileHas(filter, ctx, compile)
  }
}

function compileId(values: string[], ctx: CompileContext): Cond {
  const ids = ctx.b.isIn(values)
  return {
    rank: 0,
    set: `SELECT pk FROM resource WHERE type ${ctx.b.isIn(ctx.types)} AND id ${ids}`,
    probe: (r) => `${r}.id ${ids}`,
  }
}

/** `:missing` reads the resource row's `present` list (',sp,sp,'): no index rows (docs/search.md). */
function compileMissing(sps: number[], missing: boolean, ctx: CompileContext): Cond {
  if (!sps.length) return { rank: 9, probe: () => (missing ? '0' : '1') }
  const tests = sps.map((sp) => ctx.b.bind(`,${sp},`))
  return {
    rank: 9,
    probe: (r) => {
      const present = tests.map((t) => `instr(coalesce(${r}.present, ''), ${t}) > 0`)
      return missing ? `NOT ${anyOf(present)}` : anyOf(present)
    },
  }
}

function tokenAtom(
  ctx: CompileContext,
  t: { code: string; system: string },
  value: TokenValue
): string {
  const parts: string[] = []
  if (value.code !== undefined) parts.push(`${t.code} = ${ctx.b.bind(value.code)}`)
  if (value.system !== undefined) parts.push(`${t.system} = ${ctx.b.bind(value.system)}`)
  return parts.join(' AND ')
}

function compileToken(
  sps: number[],
  values: TokenValue[],
  not: boolean,
  rank: number,
  ctx: CompileContext
): Cond {
  const atoms = (t: { code: string; system: string }) =>
    anyOf(values.map((v) => tokenAtom(ctx, t, v)))
  const probe = (r: string) => probeBy(ctx, TOKEN, sps, r, atoms)
  if (not) return { rank: 9, probe: (r) => `NOT ${probe(r)}` }
  // Values with a code and no system share one `code IN (...)` seek; the others seek one by one.
  const codesOnly = values.filter((v) => v.system === undefined).map((v) => v.code!)
  const selects = values
    .filter((v) => v.system !== undefined)
    .map((v) => selectPks(ctx, TOKEN, sps, (t) => tokenAtom(ctx, t, v)))
  if (codesOnly.length) {
    selects.unshift(selectPks(ctx, TOKEN, sps, (t) => `${t.code} ${ctx.b.isIn(codesOnly)}`))
  }
  const systemOnly = values.some((v) => v.code === undefined)
  const cond: Cond = { rank: systemOnly ? 5 : rank, set: unionSet(selects), probe, pkOnly: true }
  const single = values[0]!
  if (sps.length === 1 && values.length === 1 && single.code !== undefined) {
    cond.walk = walkOn(ctx, TOKEN, sps[0]!, (d) => tokenAtom(ctx, d, single))
  }
  return cond
}

/** Token `:text` (search.html#token): the text or display starts with the value, like a string. */
function compileText(sps: number[], values: string[], ctx: CompileContext): Cond {
  const atoms = (t: { norm: string }) =>
    anyOf(
      values.map(
        (v) => `${t.norm} >= ${ctx.b.bind(v)} AND ${t.norm} < ${ctx.b.bind(v + PREFIX_END)}`
      )
    )
  return {
    rank: 4,
    pkOnly: true,
    set: selectPks(ctx, TEXT, sps, atoms),
    // No by-resource index on ix_token_text: the probe reads the prefix's range for that resource.
    probe: (r) => {
      const x = ctx.a.next('x')
      return (
        `EXISTS (SELECT 1 FROM ${TEXT.name} ${x} ` +
        `WHERE ${spIs(ctx, x, sps)} AND ${x}.pk = ${r}.pk AND ${atoms(at(TEXT, x))})`
      )
    },
  }
}

type StringMode = 'prefix' | 'exact' | 'contains'

/** String (search.html#string): normalised prefix, `:exact` (as written), `:contains` (anywhere). */
function compileString(
  sps: number[],
  mode: StringMode,
  values: string[],
  ctx: CompileContext
): Cond {
  const b = ctx.b
  const atom = (s: { norm: string; exact: string }, v: string) => {
    if (mode === 'exact')
      return `${s.norm} = ${b.bind(normalizeText(v))} AND ${s.exact} = ${b.bind(v)}`
    if (mode === 'contains') return `instr(${s.norm}, ${b.bind(v)}) > 0`
    return `${s.norm} >= ${b.bind(v)} AND ${s.norm} < ${b.bind(v + PREFIX_END)}`
  }
  const atoms = (s: { norm: string; exact: string }) => anyOf(values.map((v) => atom(s, v)))
  const cond: Cond = {
    rank: mode === 'exact' ? 2 : mode === 'prefix' ? 4 : 5,
    pkOnly: true,
    set: unionSet(values.map((v) => selectPks(ctx, STRING, sps, (s) => atom(s, v)))),
    probe: (r) => probeBy(ctx, STRING, sps, r, atoms),
  }
  if (mode === 'exact' && sps.length === 1 && values.length === 1) {
    cond.walk = walkOn(ctx, STRING, sps[0]!, atoms)
  }
  return cond
}

function compileReference(sps: number[], targets: string[], ctx: CompileContext): Cond {
  const isTarget = ctx.b.isIn(targets)
  const where = (x: { target: string }) => `${x.target} ${isTarget}`
  const cond: Cond = {
    rank: targets.length === 1 ? 1 : 3,
    pkOnly: true,
    set: selectPks(ctx, REF, sps, where),
    probe: (r) => probeBy(ctx, REF, sps, r, where),
  }
  if (sps.length === 1 && targets.length === 1) cond.walk = walkOn(ctx, REF, sps[0]!, where)
  return cond
}

/** Every prefix of a URL at a path boundary, itself included (`:above`, search.html#uri). */
function uriPrefixes(uri: string): string[] {
  const out = [uri]
  const start = uri.indexOf('//') >= 0 ? uri.indexOf('//') + 2 : 0
  for (let i = uri.length - 1; i > start; i--) if (uri[i] === '/') out.push(uri.slice(0, i))
  return out
}

type UriMode = 'eq' | 'below' | 'above'

function compileUri(sps: number[], mode: UriMode, values: string[], ctx: CompileContext): Cond {
  const b = ctx.b
  const atom = (u: { uri: string }) => {
    if (mode === 'eq') return `${u.uri} ${b.isIn(values)}`
    if (mode === 'above') return `${u.uri} ${b.isIn(values.flatMap(uriPrefixes))}`
    return anyOf(
      values.map((v) => `${u.uri} >= ${b.bind(v)} AND ${u.uri} < ${b.bind(v + PREFIX_END)}`)
    )
  }
  const cond: Cond = {
    rank: mode === 'eq' ? 2 : mode === 'above' ? 3 : 4,
    pkOnly: true,
    set: selectPks(ctx, URI, sps, atom),
    probe: (r) => probeBy(ctx, URI, sps, r, atom),
  }
  if (mode === 'eq' && sps.length === 1 && values.length === 1)
    cond.walk = walkOn(ctx, URI, sps[0]!, atom)
  return cond
}

// Filters compiled to SQL pieces the planner combines (docs/search.md "Query plans"): a `set` of
// matching pks read from an index, a pk-ordered `walk` when one index range yields pks in order, and
// a `probe` that tests one resource row with index seeks by pk. Values are always bound; table and
// column names come from the fixed lists here.

import type { Aliases, Binder } from './binder.ts'
import {
  compileComposite,
  compileDate,
  compileLastUpdated,
  compileNumber,
  compileQuantity,
} from './cond-range.ts'
import { compileChain, compileHas } from './cond-link.ts'
import { normalizeText } from '../index/normalize.ts'
import type { Filter, TokenValue } from './request.ts'

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

/** The end of a prefix range: every string starting with `prefix` sorts below it (BINARY collation). */
export const PREFIX_END = '\u{10FFFF}'

/** `alias.sp = ?` or `alias.sp IN (...)`. */
export function spIs(ctx: CompileContext, alias: string, sps: readonly number[]): string {
  return `${alias}.sp ${ctx.b.isIn(sps)}`
}

/** A set that is the union of per-alternative SELECTs. */
export function unionSet(selects: string[]): string {
  return selects.length === 1 ? selects[0]! : selects.map((s) => `SELECT pk FROM (${s})`).join(' UNION ALL ')
}

/** OR of alternatives, parenthesised. */
export const anyOf = (terms: string[]) =>
  terms.length === 1 ? terms[0]! : `(${terms.map((t) => `(${t})`).join(' OR ')})`

type Where = (alias: string) => string

/** `SELECT pk FROM table WHERE sp ... AND where` (an index set). */
export function selectPks(ctx: CompileContext, table: string, sps: readonly number[], where: Where): string {
  return `SELECT pk FROM ${table} x WHERE ${spIs(ctx, 'x', sps)} AND ${where('x')}`
}

/** EXISTS over the rows of resource `r` in `table`, sought through its by-resource index. */
export function probeBy(
  ctx: CompileContext,
  table: string,
  sps: readonly number[],
  r: string,
  where: Where
): string {
  const a = ctx.a.next('w')
  return (
    `EXISTS (SELECT 1 FROM ${table} ${a} INDEXED BY ${table}_pk ` +
    `WHERE ${a}.pk = ${r}.pk AND ${spIs(ctx, a, sps)} AND ${where(a)})`
  )
}

/** A pk-ordered walk of one (sp, value) range of `table`. */
function walkOn(ctx: CompileContext, table: string, sp: number, where: Where): NonNullable<Cond['walk']> {
  const d = ctx.a.next('d')
  return { from: `${table} ${d}`, where: `${spIs(ctx, d, [sp])} AND ${where(d)}`, alias: d }
}

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
      return compileChain(filter.sps, filter.hops, ctx)
    case 'has':
      return compileHas(filter, ctx)
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

function tokenAtom(ctx: CompileContext, alias: string, value: TokenValue): string {
  const parts: string[] = []
  if (value.code !== undefined) parts.push(`${alias}.code = ${ctx.b.bind(value.code)}`)
  if (value.system !== undefined) parts.push(`${alias}.system = ${ctx.b.bind(value.system)}`)
  return parts.join(' AND ')
}

function compileToken(sps: number[], values: TokenValue[], not: boolean, rank: number, ctx: CompileContext): Cond {
  const atoms = (t: string) => anyOf(values.map((v) => tokenAtom(ctx, t, v)))
  const probe = (r: string) => probeBy(ctx, 'ix_token', sps, r, atoms)
  if (not) return { rank: 9, probe: (r) => `NOT ${probe(r)}` }
  // Values with a code and no system share one `code IN (...)` seek; the others seek one by one.
  const codesOnly = values.filter((v) => v.system === undefined).map((v) => v.code!)
  const selects = values
    .filter((v) => v.system !== undefined)
    .map((v) => selectPks(ctx, 'ix_token', sps, (t) => tokenAtom(ctx, t, v)))
  if (codesOnly.length) {
    selects.unshift(selectPks(ctx, 'ix_token', sps, (t) => `${t}.code ${ctx.b.isIn(codesOnly)}`))
  }
  const systemOnly = values.some((v) => v.code === undefined)
  const cond: Cond = { rank: systemOnly ? 5 : rank, set: unionSet(selects), probe, pkOnly: true }
  const single = values[0]!
  if (sps.length === 1 && values.length === 1 && single.code !== undefined) {
    cond.walk = walkOn(ctx, 'ix_token', sps[0]!, (d) => tokenAtom(ctx, d, single))
  }
  return cond
}

/** Token `:text` (search.html#token): the text or display starts with the value, like a string. */
function compileText(sps: number[], values: string[], ctx: CompileContext): Cond {
  const atoms = (alias: string) =>
    anyOf(values.map((v) => `${alias}.norm >= ${ctx.b.bind(v)} AND ${alias}.norm < ${ctx.b.bind(v + PREFIX_END)}`))
  return {
    rank: 4,
    pkOnly: true,
    set: selectPks(ctx, 'ix_token_text', sps, atoms),
    // No by-resource index on ix_token_text: the probe reads the prefix's range for that resource.
    probe: (r) => {
      const x = ctx.a.next('x')
      return (
        `EXISTS (SELECT 1 FROM ix_token_text ${x} ` +
        `WHERE ${spIs(ctx, x, sps)} AND ${x}.pk = ${r}.pk AND ${atoms(x)})`
      )
    },
  }
}

type StringMode = 'prefix' | 'exact' | 'contains'

/** String (search.html#string): normalised prefix, `:exact` (as written), `:contains` (anywhere). */
function compileString(sps: number[], mode: StringMode, values: string[], ctx: CompileContext): Cond {
  const b = ctx.b
  const atom = (alias: string, v: string) => {
    if (mode === 'exact') return `${alias}.norm = ${b.bind(normalizeText(v))} AND ${alias}.exact = ${b.bind(v)}`
    if (mode === 'contains') return `instr(${alias}.norm, ${b.bind(v)}) > 0`
    return `${alias}.norm >= ${b.bind(v)} AND ${alias}.norm < ${b.bind(v + PREFIX_END)}`
  }
  const atoms = (alias: string) => anyOf(values.map((v) => atom(alias, v)))
  const cond: Cond = {
    rank: mode === 'exact' ? 2 : mode === 'prefix' ? 4 : 5,
    pkOnly: true,
    set: unionSet(values.map((v) => selectPks(ctx, 'ix_string', sps, (s) => atom(s, v)))),
    probe: (r) => probeBy(ctx, 'ix_string', sps, r, atoms),
  }
  if (mode === 'exact' && sps.length === 1 && values.length === 1) {
    cond.walk = walkOn(ctx, 'ix_string', sps[0]!, atoms)
  }
  return cond
}

function compileReference(sps: number[], targets: string[], ctx: CompileContext): Cond {
  const isTarget = ctx.b.isIn(targets)
  const where = (x: string) => `${x}.target ${isTarget}`
  const cond: Cond = {
    rank: targets.length === 1 ? 1 : 3,
    pkOnly: true,
    set: selectPks(ctx, 'ix_ref', sps, where),
    probe: (r) => probeBy(ctx, 'ix_ref', sps, r, where),
  }
  if (sps.length === 1 && targets.length === 1) cond.walk = walkOn(ctx, 'ix_ref', sps[0]!, where)
  return cond
}

/** Every prefix of a URL at a path boundary, itself included (`:above`, search.html#uri). */
export function uriPrefixes(uri: string): string[] {
  const out = [uri]
  const start = uri.indexOf('//') >= 0 ? uri.indexOf('//') + 2 : 0
  for (let i = uri.length - 1; i > start; i--) if (uri[i] === '/') out.push(uri.slice(0, i))
  return out
}

type UriMode = 'eq' | 'below' | 'above'

function compileUri(sps: number[], mode: UriMode, values: string[], ctx: CompileContext): Cond {
  const b = ctx.b
  const atom = (alias: string) => {
    if (mode === 'eq') return `${alias}.uri ${b.isIn(values)}`
    if (mode === 'above') return `${alias}.uri ${b.isIn(values.flatMap(uriPrefixes))}`
    return anyOf(values.map((v) => `${alias}.uri >= ${b.bind(v)} AND ${alias}.uri < ${b.bind(v + PREFIX_END)}`))
  }
  const cond: Cond = {
    rank: mode === 'eq' ? 2 : mode === 'above' ? 3 : 4,
    pkOnly: true,
    set: selectPks(ctx, 'ix_uri', sps, atom),
    probe: (r) => probeBy(ctx, 'ix_uri', sps, r, atom),
  }
  if (mode === 'eq' && sps.length === 1 && values.length === 1) cond.walk = walkOn(ctx, 'ix_uri', sps[0]!, atom)
  return cond
}

// Filters compiled to SQL pieces the planner combines (docs/search.md "Query plans"): a `set` of
// matching pks read from an index, a pk-ordered `walk` when one index range yields pks in order, and
// a `probe` that tests one resource row with index seeks by pk. This file dispatches on the filter
// kind and compiles the token, text, string, reference, uri, `_id` and `:missing` filters; ranges are
// in cond-range.ts, chains and `_has` in cond-link.ts, OR-ed alternatives (granular scopes) in cond-any.ts. Table and column names come from the catalogue
// (index/tables.ts); values are always bound.

import {
  compileComposite,
  compileDate,
  compileLastUpdated,
  compileNumber,
  compileQuantity,
} from './cond-range.ts'
import { compileChain, compileHas } from './cond-link.ts'
import { compileAnyOf } from './cond-any.ts'
import { normalizeText } from '../index/normalize.ts'
import { INDEX_TABLES } from '../index/tables.ts'
import { probeOf, setOf, type Alt } from './alternatives.ts'
import { PREFIX_END, walkOn, type CompileContext, type Cond } from './filter-sql.ts'
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
    case 'anyOf':
      return compileAnyOf(filter.alternatives, ctx, compile)
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
  const marks = sps.map((sp) => `,${sp},`)
  return {
    rank: 9,
    probe: (r) => {
      const present = `coalesce(${r}.present, '')`
      // Several parameters (a system search): one list rather than a term per type.
      const any =
        marks.length === 1
          ? `instr(${present}, ${ctx.b.bind(marks[0]!)}) > 0`
          : `EXISTS (SELECT 1 FROM ${ctx.b.list(marks)} WHERE instr(${present}, value) > 0)`
      return missing ? `NOT ${any}` : any
    },
  }
}

type TokenRow = { code: string; system: string }

const tokenAtom =
  (value: TokenValue): Alt<TokenRow> =>
  (t, bind) => {
    const parts: string[] = []
    if (value.code !== undefined) parts.push(`${t.code} = ${bind(value.code)}`)
    if (value.system !== undefined) parts.push(`${t.system} = ${bind(value.system)}`)
    return parts.join(' AND ')
  }

function compileToken(
  sps: number[],
  values: TokenValue[],
  not: boolean,
  rank: number,
  ctx: CompileContext
): Cond {
  const alts = values.map(tokenAtom)
  const probe = (r: string) => probeOf(ctx, TOKEN, sps, r, alts)
  if (not) return { rank: 9, probe: (r) => `NOT ${probe(r)}` }
  const systemOnly = values.some((v) => v.code === undefined)
  const cond: Cond = {
    rank: systemOnly ? 5 : rank,
    set: setOf(
      ctx,
      TOKEN,
      sps,
      alts.map((where) => ({ where }))
    ),
    probe,
    pkOnly: true,
  }
  const single = values[0]!
  if (sps.length === 1 && values.length === 1 && single.code !== undefined) {
    cond.walk = walkOn(ctx, TOKEN, sps[0]!, (d) => tokenAtom(single)(d, ctx.b.bind))
  }
  return cond
}

/** A prefix range on a normalised column: every string starting with `v` (search.html#string). */
const prefixOf =
  (v: string): Alt<{ norm: string }> =>
  (t, bind) =>
    `${t.norm} >= ${bind(v)} AND ${t.norm} < ${bind(v + PREFIX_END)}`

/** Token `:text` (search.html#token): the text or display starts with the value, like a string. */
function compileText(sps: number[], values: string[], ctx: CompileContext): Cond {
  const alts = values.map(prefixOf)
  return {
    rank: 4,
    pkOnly: true,
    set: setOf(
      ctx,
      TEXT,
      sps,
      alts.map((where) => ({ where }))
    ),
    // No by-resource index on ix_token_text: the probe reads the prefix's range for that resource.
    probe: (r) => probeOf(ctx, TEXT, sps, r, alts),
  }
}

type StringMode = 'prefix' | 'exact' | 'contains'
type StringRow = { norm: string; exact: string }

/** String (search.html#string): normalised prefix, `:exact` (as written), `:contains` (anywhere). */
function compileString(
  sps: number[],
  mode: StringMode,
  values: string[],
  ctx: CompileContext
): Cond {
  const atom =
    (v: string): Alt<StringRow> =>
    (s, bind) => {
      if (mode === 'exact')
        return `${s.norm} = ${bind(normalizeText(v))} AND ${s.exact} = ${bind(v)}`
      if (mode === 'contains') return `instr(${s.norm}, ${bind(v)}) > 0`
      return prefixOf(v)(s, bind)
    }
  const alts = values.map(atom)
  const cond: Cond = {
    rank: mode === 'exact' ? 2 : mode === 'prefix' ? 4 : 5,
    pkOnly: true,
    set: setOf(
      ctx,
      STRING,
      sps,
      alts.map((where) => ({ where }))
    ),
    probe: (r) => probeOf(ctx, STRING, sps, r, alts),
  }
  if (mode === 'exact' && sps.length === 1 && values.length === 1) {
    cond.walk = walkOn(ctx, STRING, sps[0]!, (s) => alts[0]!(s, ctx.b.bind))
  }
  return cond
}

function compileReference(sps: number[], targets: string[], ctx: CompileContext): Cond {
  const isTarget = ctx.b.isIn(targets)
  const alt: Alt<{ target: string }> = (x) => `${x.target} ${isTarget}`
  const cond: Cond = {
    rank: targets.length === 1 ? 1 : 3,
    pkOnly: true,
    set: setOf(ctx, REF, sps, [{ where: alt }]),
    probe: (r) => probeOf(ctx, REF, sps, r, [alt]),
  }
  if (sps.length === 1 && targets.length === 1)
    cond.walk = walkOn(ctx, REF, sps[0]!, (x) => alt(x, ctx.b.bind))
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
  // `eq` and `:above` are one IN list; `:below` is a range per value.
  const alts: Alt<{ uri: string }>[] =
    mode === 'below'
      ? values.map(
          (v) => (u, bind) => `${u.uri} >= ${bind(v)} AND ${u.uri} < ${bind(v + PREFIX_END)}`
        )
      : [(u) => `${u.uri} ${b.isIn(mode === 'eq' ? values : values.flatMap(uriPrefixes))}`]
  const cond: Cond = {
    rank: mode === 'eq' ? 2 : mode === 'above' ? 3 : 4,
    pkOnly: true,
    set: setOf(
      ctx,
      URI,
      sps,
      alts.map((where) => ({ where }))
    ),
    probe: (r) => probeOf(ctx, URI, sps, r, alts),
  }
  if (mode === 'eq' && sps.length === 1 && values.length === 1)
    cond.walk = walkOn(ctx, URI, sps[0]!, (u) => alts[0]!(u, b.bind))
  return cond
}

// One search parameter (name, modifier, chain, `_has`) and its comma-separated values as a Filter
// (R4 search.html#modifiers, #chaining, #has, #combining). Unknown parameters come back as a reason to
// ignore them; malformed values and modifiers this server does not implement are a 400.

import { FhirError } from '../../errors/outcome.ts'
import { splitEscaped, unescapeValue } from './escape.ts'
import { MAX_CHAIN_DEPTH, MAX_CHAIN_HOPS, tooCostly } from './limits.ts'
import { normalizeText } from '../index/normalize.ts'
import {
  malformed,
  parseDateTest,
  parseNumberTest,
  parseOfType,
  parseQuantityTest,
  parseToken,
  referenceTargets,
} from './parse-values.ts'
import { compositeKeys } from '../index/extract-composite.ts'
import {
  compositeParts,
  derivedSp,
  isResourceType,
  isSupported,
  searchParam,
} from '../index/registry.ts'
import type { CompositeTest, Filter, LastTest } from './request.ts'
import type { SearchParamDef } from '../index/types.ts'

export interface FilterContext {
  /** This server's public base URL, so absolute references to it match local ones. */
  base?: string
  now: number
  /** Resource types chains and `_has` may still search through in this search (MAX_CHAIN_HOPS). */
  hops: { left: number }
}

/** Counts one hop of a chain or `_has` into a resource type against the search's budget. */
function hop(ctx: FilterContext, key: string): void {
  if (--ctx.hops.left < 0) {
    throw tooCostly(
      `Chains and _has in one search may go through at most ${MAX_CHAIN_HOPS} resource types; ` +
        `name the type to follow (as in subject:Patient.name)`,
      [key]
    )
  }
}

export type ParsedFilter = { filter: Filter } | { ignored: string }

/** Parameters with no expression that the server reads from columns. */
const COLUMN_PARAMS = new Set(['_id', '_lastUpdated'])

function unsupportedModifier(key: string, detail: string): FhirError {
  return new FhirError(400, {
    severity: 'error',
    code: 'not-supported',
    diagnostics: `Unsupported modifier in search parameter ${key}: ${detail}`,
    expression: [key],
  })
}

/** Whether the engine can search a parameter; the CapabilityStatement lists exactly these. */
export function isSearchable(def: SearchParamDef): boolean {
  if (COLUMN_PARAMS.has(def.code)) return true
  if (!def.expression || !isSupported(def)) return false
  if (def.type === 'special') return false
  if (def.type === 'composite') return compositeParts(def) !== undefined
  return true
}

/** The comma-separated parts of a value; an empty part is malformed. */
function parts(key: string, raw: string): string[] {
  const list = splitEscaped(raw, ',')
  if (list.some((p) => p === '')) throw malformed(key, 'empty value in a comma-separated list')
  return list
}

function defsFor(types: readonly string[], name: string): SearchParamDef[] | string {
  const defs: SearchParamDef[] = []
  for (const type of types) {
    const def = searchParam(type, name)
    if (!def) {
      return types.length > 1
        ? `not a search parameter of every type searched (${type})`
        : `unknown search parameter for ${type}`
    }
    if (!isSearchable(def)) {
      return `${def.type} search parameter ${def.base}.${name} is not supported by this server`
    }
    defs.push(def)
  }
  if (defs.some((d) => d.type !== defs[0]!.type)) {
    return 'the parameter has a different type on the types searched'
  }
  return defs
}

/** Parses `key=raw` for a search over `types`. */
export function parseFilter(
  ctx: FilterContext,
  types: readonly string[],
  key: string,
  raw: string,
  depth = 0,
  top = key
): ParsedFilter {
  if (key.startsWith('_has:')) return parseHas(ctx, types, key, raw, depth, top)
  const dot = key.indexOf('.')
  const head = dot < 0 ? key : key.slice(0, dot)
  const [name, modifier, ...extra] = head.split(':')
  if (extra.length || !name) throw malformed(key, 'invalid parameter name')
  const defs = defsFor(types, name)
  if (typeof defs === 'string') return { ignored: defs }
  if (dot >= 0) return parseChain(ctx, defs, key, modifier, key.slice(dot + 1), raw, depth, top)
  if (modifier === 'missing') {
    if (raw !== 'true' && raw !== 'false') throw malformed(key, ':missing takes true or false')
    const sps = COLUMN_PARAMS.has(name) ? [] : defs.map((d) => d.sp)
    return { filter: { kind: 'missing', sps, missing: raw === 'true' } }
  }
  const sps = defs.map((d) => d.sp)
  const def = defs[0]!
  const each = <T>(parse: (part: string) => T): T[] => parts(key, raw).map(parse)
  const dates = () => each((p) => [parseDateTest(key, p, ctx.now)])
  if (name === '_id') {
    if (modifier !== undefined) throw unsupportedModifier(key, '_id takes no modifier')
    return { filter: { kind: 'id', values: parts(key, raw).map(unescapeValue) } }
  }
  if (name === '_lastUpdated') {
    if (modifier !== undefined) throw unsupportedModifier(key, '_lastUpdated takes no modifier')
    return { filter: { kind: 'lastUpdated', ranges: dates() } }
  }
  switch (def.type) {
    case 'token':
      return { filter: tokenFilter(key, raw, modifier, defs) }
    case 'string': {
      if (modifier !== undefined && modifier !== 'exact' && modifier !== 'contains') {
        throw unsupportedModifier(key, 'string parameters take :exact, :contains or :missing')
      }
      const values = parts(key, raw).map(unescapeValue)
      const mode = modifier ?? 'prefix'
      const normalized = mode === 'exact' ? values : values.map(normalizeText)
      if (normalized.some((v) => !v)) throw malformed(key, 'the value is empty')
      return { filter: { kind: 'string', sps, mode, values: normalized } }
    }
    case 'date':
      noModifier(key, modifier)
      return { filter: { kind: 'date', sps, ranges: dates() } }
    case 'number':
      noModifier(key, modifier)
      return {
        filter: { kind: 'number', sps, tests: each((p) => parseNumberTest(key, unescapeValue(p))) },
      }
    case 'quantity':
      noModifier(key, modifier)
      return { filter: { kind: 'quantity', sps, tests: each((p) => parseQuantityTest(key, p)) } }
    case 'reference':
      return { filter: referenceFilter(ctx, key, raw, modifier, defs) }
    case 'uri': {
      if (modifier !== undefined && modifier !== 'below' && modifier !== 'above') {
        throw unsupportedModifier(key, 'uri parameters take :below, :above or :missing')
      }
      return { filter: { kind: 'uri', sps, mode: modifier ?? 'eq', values: each(unescapeValue) } }
    }
    case 'composite':
      noModifier(key, modifier)
      return { filter: compositeFilter(ctx, key, raw, defs) }
  }
  return { ignored: `${def.type} search parameters are not supported` }
}

function noModifier(key: string, modifier: string | undefined): void {
  if (modifier !== undefined) {
    throw unsupportedModifier(key, `:${modifier} does not apply to this parameter type`)
  }
}

/** Identifier-like tokens select few resources: a good place to start a query. */
const SELECTIVE_TOKENS = new Set(['_id', 'identifier', 'patient-identifier'])

function tokenFilter(
  key: string,
  raw: string,
  modifier: string | undefined,
  defs: SearchParamDef[]
): Filter {
  const sps = defs.map((d) => d.sp)
  const rank = SELECTIVE_TOKENS.has(defs[0]!.code) ? 1 : 3
  const tokens = () => parts(key, raw).map((p) => parseToken(key, p))
  switch (modifier) {
    case undefined:
    case 'not':
      return { kind: 'token', sps, values: tokens(), not: modifier === 'not', rank }
    case 'text': {
      const values = parts(key, raw).map((p) => normalizeText(unescapeValue(p)))
      if (values.some((v) => !v)) throw malformed(key, 'the value is empty')
      return { kind: 'text', sps, values }
    }
    case 'of-type': {
      const typed = defs.map((d) => derivedSp(d, 'of-type'))
      const values = parts(key, raw).map((p) => parseOfType(key, p))
      return { kind: 'token', sps: typed, values, not: false, rank: 1 }
    }
  }
  throw unsupportedModifier(
    key,
    'token parameters take :not, :text, :of-type or :missing (no terminology service for :in, :below, :above)'
  )
}

function referenceFilter(
  ctx: FilterContext,
  key: string,
  raw: string,
  modifier: string | undefined,
  defs: SearchParamDef[]
): Filter {
  const def = defs[0]!
  if (modifier === 'identifier') {
    const sps = defs.map((d) => derivedSp(d, 'identifier'))
    return {
      kind: 'token',
      sps,
      values: parts(key, raw).map((p) => parseToken(key, p)),
      not: false,
      rank: 1,
    }
  }
  if (modifier !== undefined) checkTargetType(key, modifier, def)
  const targets = parts(key, raw).flatMap((p) =>
    referenceTargets(key, p, def.targets ?? [], modifier, ctx.base)
  )
  return { kind: 'reference', sps: defs.map((d) => d.sp), targets: [...new Set(targets)] }
}

function checkTargetType(key: string, type: string, def: SearchParamDef): void {
  if (!isResourceType(type)) {
    throw unsupportedModifier(
      key,
      `:${type} is not a resource type (reference parameters take :[type], :identifier or :missing)`
    )
  }
  if (def.targets?.length && !def.targets.includes(type)) {
    throw malformed(key, `${type} is not a target of ${def.code} (${def.targets.join(', ')})`)
  }
}

function parseChain(
  ctx: FilterContext,
  defs: SearchParamDef[],
  key: string,
  modifier: string | undefined,
  rest: string,
  raw: string,
  depth: number,
  top: string
): ParsedFilter {
  const def = defs[0]!
  if (def.type !== 'reference') {
    throw malformed(key, `${def.code} is not a reference parameter, so it cannot be chained`)
  }
  if (depth + 1 > MAX_CHAIN_DEPTH)
    throw malformed(key, `chains are limited to ${MAX_CHAIN_DEPTH} levels`)
  if (modifier !== undefined) checkTargetType(key, modifier, def)
  const types = modifier ? [modifier] : (def.targets ?? [])
  if (!types.length) {
    throw malformed(
      key,
      `${def.code} can refer to any type: name one, as in ${def.code}:Patient.name`
    )
  }
  const hops: { type: string; inner: Filter }[] = []
  for (const type of types) {
    if (!searchParam(type, rest.split(/[.:]/)[0]!) && !rest.startsWith('_has:')) continue
    hop(ctx, top)
    const inner = parseFilter(ctx, [type], rest, raw, depth + 1, top)
    if ('filter' in inner) hops.push({ type, inner: inner.filter })
  }
  if (!hops.length)
    return { ignored: `${rest} is not a searchable parameter of ${types.join(', ')}` }
  return { filter: { kind: 'chain', sps: defs.map((d) => d.sp), hops } }
}

function parseHas(
  ctx: FilterContext,
  types: readonly string[],
  key: string,
  raw: string,
  depth: number,
  top: string
): ParsedFilter {
  const [, type, param, ...rest] = key.split(':')
  if (!type || !param || !rest.length) {
    throw malformed(key, '_has takes _has:[type]:[reference parameter]:[parameter]')
  }
  if (depth + 1 > MAX_CHAIN_DEPTH)
    throw malformed(key, `chains are limited to ${MAX_CHAIN_DEPTH} levels`)
  if (types.length !== 1) return { ignored: '_has needs a search of a single resource type' }
  if (!isResourceType(type)) throw malformed(key, `${type} is not a resource type`)
  const def = searchParam(type, param)
  if (!def || def.type !== 'reference') {
    throw malformed(key, `${param} is not a reference parameter of ${type}`)
  }
  const targetType = types[0]!
  if (def.targets?.length && !def.targets.includes(targetType)) {
    throw malformed(key, `${type}.${param} does not refer to ${targetType}`)
  }
  hop(ctx, top)
  const inner = parseFilter(ctx, [type], rest.join(':'), raw, depth + 1, top)
  if ('ignored' in inner) return inner
  return { filter: { kind: 'has', type, sps: [def.sp], targetType, inner: inner.filter } }
}

/** `code-value-quantity=http://loinc.org|8480-6$gt100` (search.html#composite). */
function compositeFilter(
  ctx: FilterContext,
  key: string,
  raw: string,
  defs: SearchParamDef[]
): Filter {
  const [, lastDef] = compositeParts(defs[0]!)!
  const tests: CompositeTest[] = parts(key, raw).map((part) => {
    const pieces = splitEscaped(part, '$')
    if (pieces.length !== 2) throw malformed(key, `"${part}" needs two components joined by $`)
    const token = parseToken(key, pieces[0]!)
    if (token.code === undefined) throw malformed(key, 'the first component needs a code')
    const keyText =
      token.system === undefined ? token.code : compositeKeys(token.code, token.system)[1]!
    return { key: keyText, last: lastTest(ctx, key, pieces[1]!, lastDef) }
  })
  return { kind: 'composite', sps: defs.map((d) => d.sp), tests }
}

function lastTest(ctx: FilterContext, key: string, part: string, def: SearchParamDef): LastTest {
  switch (def.type) {
    case 'token':
      return { kind: 'token', value: parseToken(key, part) }
    case 'string': {
      const norm = normalizeText(unescapeValue(part))
      if (!norm) throw malformed(key, 'the value is empty')
      return { kind: 'string', norm }
    }
    case 'uri':
      return { kind: 'uri', value: unescapeValue(part) }
    case 'reference':
      return {
        kind: 'reference',
        targets: referenceTargets(key, part, def.targets ?? [], undefined, ctx.base),
      }
    case 'date':
      return { kind: 'date', test: parseDateTest(key, part, ctx.now) }
    case 'number':
      return { kind: 'number', test: parseNumberTest(key, unescapeValue(part)) }
  }
  return { kind: 'quantity', test: parseQuantityTest(key, part) }
}

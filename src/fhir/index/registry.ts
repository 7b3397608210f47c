// Search parameter registry: the generated R4 tables as SearchParamDef per resource type, with
// `sp`, the stable 31-bit id of `${base}.${code}` that index rows store. Maps are built lazily.
import { TYPE_BASE } from '../definitions/element-types.generated.ts'
import { RESOURCE_TYPES } from '../definitions/resource-types.generated.ts'
import {
  COMMON_PARAMS,
  SEARCH_PARAMS,
  TARGETS,
  UNSUPPORTED_PARAMS,
} from '../definitions/search-params.generated.ts'
import type { SearchParamDef } from './types.ts'

const utf8 = new TextEncoder()

/**
 * 32-bit FNV-1a (offset basis 2166136261, prime 16777619) of the UTF-8 bytes, top bit cleared so
 * the id is a positive 31-bit integer. Never change it: stored index rows carry these ids.
 */
export function fnv1a31(s: string): number {
  let h = 0x811c9dc5
  for (const byte of utf8.encode(s)) {
    h ^= byte
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0) & 0x7fffffff
}

/** The `sp` id of a search parameter (scripts/gen-definitions.ts fails on collisions). */
export function spId(base: string, code: string): number {
  return fnv1a31(`${base}.${code}`)
}

/**
 * Id of a parameter's derived index rows: `code:identifier` (Reference.identifier as a token, for
 * the reference `:identifier` modifier) and `code:of-type` (Identifier value by type, for `:of-type`).
 */
export function derivedSp(def: SearchParamDef, suffix: 'identifier' | 'of-type'): number {
  return spId(def.base, `${def.code}:${suffix}`)
}

/** Value types a composite's last component may have (its first must be a token). */
const COMPOSITE_LAST = new Set([
  'token',
  'string',
  'date',
  'number',
  'quantity',
  'reference',
  'uri',
])

/**
 * The component parameters of a composite this server indexes: two components, the first a token
 * (search.html#composite). Others (MolecularSequence's number pairs) give undefined.
 */
export function compositeParts(def: SearchParamDef): [SearchParamDef, SearchParamDef] | undefined {
  const parts = def.components?.map((c) => searchParam(def.base, c.code))
  if (!parts || parts.length !== 2 || !parts[0] || !parts[1]) return undefined
  if (parts[0].type !== 'token' || !COMPOSITE_LAST.has(parts[1].type)) return undefined
  return [parts[0], parts[1]]
}

let resourceTypes: Set<string> | undefined
let unsupported: Set<string> | undefined
interface TypeParams {
  list: readonly SearchParamDef[]
  byCode: Map<string, SearchParamDef>
}
const registry = new Map<string, TypeParams>()

export function isResourceType(t: string): boolean {
  resourceTypes ??= new Set(RESOURCE_TYPES)
  return resourceTypes.has(t)
}

/** `Type.code` of the parameters whose FHIRPath expression the extractor cannot evaluate. */
export const UNSUPPORTED_SEARCH_PARAMS: readonly string[] = UNSUPPORTED_PARAMS

/** False when the expression is outside the supported FHIRPath subset (it gets no index rows). */
export function isSupported(def: SearchParamDef): boolean {
  unsupported ??= new Set(UNSUPPORTED_PARAMS)
  return !unsupported.has(`${def.base}.${def.code}`)
}

function build(base: string): TypeParams {
  const list: SearchParamDef[] = []
  for (const [code, type, expression, domainOnly] of COMMON_PARAMS) {
    if (domainOnly && TYPE_BASE[base] !== 'DomainResource') continue
    const expr = expression.replace(/^Resource\./, `${base}.`)
    list.push({ code, base, type, expression: expr, sp: spId(base, code) })
  }
  const rows = Object.hasOwn(SEARCH_PARAMS, base) ? SEARCH_PARAMS[base] : []
  for (const [code, type, expression, extra] of rows) {
    const def: SearchParamDef = { code, base, type, expression, sp: spId(base, code) }
    if (typeof extra === 'number') def.targets = TARGETS[extra] ? TARGETS[extra].split(',') : []
    else if (extra) def.components = extra.map(([c, e]) => ({ code: c, expression: e }))
    list.push(def)
  }
  list.sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0))
  const entry = { list, byCode: new Map(list.map((d) => [d.code, d])) }
  registry.set(base, entry)
  return entry
}

/** All search parameters of a resource type (Resource-level ones included), sorted by code. */
export function searchParamsFor(type: string): readonly SearchParamDef[] {
  if (!isResourceType(type)) return []
  return (registry.get(type) ?? build(type)).list
}

export function searchParam(type: string, code: string): SearchParamDef | undefined {
  if (!isResourceType(type)) return undefined
  return (registry.get(type) ?? build(type)).byCode.get(code)
}

// Result parameters (R4 search.html#return): _count, _sort, _total, _summary, _elements, _include and
// _revinclude (with :iterate and *). Each parser throws a 400 naming the parameter for a malformed value
// and returns reasons for parts it cannot apply.

import { badRequest } from '../../errors/outcome.ts'
import { isSearchable } from './parse-filter.ts'
import { MAX_COUNT, MAX_SORT_KEYS, tooCostly } from './limits.ts'
import { isResourceType, searchParam, searchParamsFor } from '../index/registry.ts'
import type { IncludeSpec, SortKey, SummaryMode } from './request.ts'
import type { SearchParamDef } from '../index/types.ts'

export const DEFAULT_COUNT = 20

export function parseCount(raw: string): number {
  if (!/^\d{1,9}$/.test(raw)) {
    throw badRequest(`_count must be a non-negative integer, got ${JSON.stringify(raw)}`, [
      '_count',
    ])
  }
  return Math.min(Number(raw), MAX_COUNT)
}

const SORTABLE = new Set(['date', 'string', 'token', 'number', 'quantity', 'reference', 'uri'])

/** `_sort=a,-b` (search.html#_sort): keys that cannot be sorted on are dropped with a reason. */
export function parseSort(
  types: readonly string[],
  raw: string,
  ignored: { name: string; reason: string }[]
): SortKey[] {
  const keys: SortKey[] = []
  const items = raw.split(',')
  if (items.length > MAX_SORT_KEYS) {
    throw tooCostly(`_sort takes at most ${MAX_SORT_KEYS} keys (${items.length} given)`, ['_sort'])
  }
  for (const item of items) {
    const desc = item.startsWith('-')
    const name = desc ? item.slice(1) : item
    if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name)) {
      throw badRequest(`Invalid _sort key ${JSON.stringify(item)}`, ['_sort'])
    }
    if (keys.some((k) => k.name === name)) continue
    if (name === '_id' || name === '_lastUpdated') {
      keys.push({ name, desc, column: name === '_id' ? 'id' : 'last_updated', defs: [] })
      continue
    }
    const defs = types.map((t) => searchParam(t, name))
    const usable = (d: SearchParamDef | undefined): d is SearchParamDef =>
      d !== undefined && SORTABLE.has(d.type) && isSearchable(d) && d.type === defs[0]?.type
    if (!defs.every(usable)) {
      const reason = `cannot sort on ${name} (not a sortable parameter of ${types.join(', ')})`
      ignored.push({ name: `_sort=${item}`, reason })
      continue
    }
    keys.push({ name, desc, defs })
  }
  return keys
}

export function parseTotal(raw: string): 'none' | 'estimate' | 'accurate' {
  if (raw !== 'none' && raw !== 'estimate' && raw !== 'accurate') {
    throw badRequest('_total must be none, estimate or accurate', ['_total'])
  }
  return raw
}

export function parseSummary(raw: string): SummaryMode {
  if (!['true', 'text', 'data', 'count', 'false'].includes(raw)) {
    throw badRequest('_summary must be true, text, data, count or false', ['_summary'])
  }
  return raw as SummaryMode
}

/** `_elements=a,b` (search.html#elements): top-level element names; `Type.a` is read as `a`. */
export function parseElements(raw: string): string[] {
  const names = raw.split(',').map((n) => n.trim().replace(/^[A-Z][A-Za-z]+\./, ''))
  if (names.some((n) => !/^[a-z][A-Za-z0-9]*$/.test(n))) {
    throw badRequest('_elements takes a comma-separated list of element names', ['_elements'])
  }
  return [...new Set(names)]
}

/**
 * `_include=Source:param[:Target]`, `Source:*`, `*`, and the same for `_revinclude`
 * (search.html#include). `types` are the searched types (the sources of a non-iterating _include).
 */
export function parseInclude(
  name: '_include' | '_revinclude',
  modifier: string | undefined,
  raw: string,
  types: readonly string[]
): IncludeSpec[] | string {
  const key = modifier ? `${name}:${modifier}` : name
  if (modifier !== undefined && modifier !== 'iterate' && modifier !== 'recurse') {
    throw badRequest(`Unknown modifier in ${key} (use :iterate)`, [key])
  }
  const iterate = modifier !== undefined
  if (raw === '*') {
    if (name === '_revinclude')
      return `${key}=* is not supported: name the source type and parameter`
    return types.map((source) => withTargets({ raw, iterate, source, sps: referenceSps(source) }))
  }
  const [source, param, target, ...extra] = raw.split(':')
  if (!source || !param || extra.length)
    throw badRequest(`${key} takes Source:parameter[:Target]`, [key])
  if (!isResourceType(source)) throw badRequest(`${key}: ${source} is not a resource type`, [key])
  if (target !== undefined && !isResourceType(target)) {
    throw badRequest(`${key}: ${target} is not a resource type`, [key])
  }
  if (name === '_include' && !iterate && !types.includes(source)) {
    return `${key}=${raw} names ${source}, which is not the type searched`
  }
  if (param === '*')
    return [withTargets({ raw, iterate, source, sps: referenceSps(source), target })]
  const def = searchParam(source, param)
  if (!def || def.type !== 'reference') return `${param} is not a reference parameter of ${source}`
  if (target && def.targets?.length && !def.targets.includes(target)) {
    return `${target} is not a target of ${source}.${param}`
  }
  return [withTargets({ raw, iterate, source, sps: [def.sp], target })]
}

/**
 * The types an `_include` may bring in: its target, else every declared target of its parameters;
 * undefined when one of them may refer to any type. The include reads only these (includes.ts), and
 * they are what the request is authorised for, whatever references the stored resources hold.
 */
function withTargets(spec: Omit<IncludeSpec, 'targets'>): IncludeSpec {
  if (spec.target) return { ...spec, targets: [spec.target] }
  const sps = new Set(spec.sps)
  const targets = new Set<string>()
  for (const def of searchParamsFor(spec.source)) {
    if (!sps.has(def.sp)) continue
    if (!def.targets?.length) return { ...spec, targets: undefined }
    for (const t of def.targets) targets.add(t)
  }
  return { ...spec, targets: [...targets].sort() }
}

function referenceSps(type: string): number[] {
  return searchParamsFor(type)
    .filter((d) => d.type === 'reference' && isSearchable(d))
    .map((d) => d.sp)
}

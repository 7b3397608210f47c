// _summary and _elements (R4 search.html#summary, #elements): a projection of each resource to some
// of its top-level elements, marked with the SUBSETTED tag (R4 resource.html#tag). Only a projected
// page is parsed and re-serialised; otherwise stored JSON text goes into the Bundle as it is.

import { MANDATORY, SUMMARY } from '../definitions/summary.generated.ts'
import type { SearchRequest } from './request.ts'

const SUBSETTED = {
  system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue',
  code: 'SUBSETTED',
}

type Json = Record<string, unknown>

const own = (table: Readonly<Record<string, string>>, type: string) =>
  Object.hasOwn(table, type) ? table[type]!.split(' ') : []

/** Whether member `key` belongs to one of `names` (`value[x]` covers valueQuantity; `_x` goes with x). */
function kept(key: string, names: readonly string[]): boolean {
  const base = key.startsWith('_') ? key.slice(1) : key
  return names.some((n) =>
    n.endsWith('[x]')
      ? base.startsWith(n.slice(0, -3)) && /^[A-Z]/.test(base.slice(n.length - 3))
      : base === n
  )
}

function subset(resource: Json, names: readonly string[]): Json {
  const out: Json = {}
  for (const [key, value] of Object.entries(resource)) {
    if (key === 'resourceType' || key === 'id' || key === 'meta' || kept(key, names))
      out[key] = value
  }
  const meta = (out.meta && typeof out.meta === 'object' ? { ...(out.meta as Json) } : {}) as Json
  const tags = Array.isArray(meta.tag) ? (meta.tag as Json[]) : []
  const tagged = tags.some((t) => t.system === SUBSETTED.system && t.code === SUBSETTED.code)
  if (!tagged) meta.tag = [...tags, SUBSETTED]
  out.meta = meta
  return out
}

/** The projection a search asks for, or undefined when resources go out as stored. */
type Projection = (body: string, type: string, match: boolean) => string

const keep = (body: string, names: string[]) =>
  JSON.stringify(subset(JSON.parse(body) as Json, names))

/** The projection a search asks for, or undefined when resources go out as stored. */
export function projection(request: SearchRequest): Projection | undefined {
  const { summary, elements } = request
  if (elements && summary !== 'true' && summary !== 'text' && summary !== 'data') {
    // _elements shapes the matches; included resources are returned whole.
    return (body, type, match) =>
      match ? keep(body, [...elements, ...own(MANDATORY, type)]) : body
  }
  switch (summary) {
    case 'true':
      return (body, type) => keep(body, [...own(SUMMARY, type), ...own(MANDATORY, type)])
    case 'text':
      return (body, type) => keep(body, ['text', ...own(MANDATORY, type)])
    case 'data':
      return (body) => {
        const { text: _text, ...rest } = JSON.parse(body) as Json
        return JSON.stringify(subset(rest, Object.keys(rest)))
      }
  }
  return undefined
}

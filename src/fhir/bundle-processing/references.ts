// References between the entries of a transaction (R4 http.html#trules, bundle.html#references): the
// fullUrl of an entry the server gives an id (a `urn:uuid:` placeholder, or any fullUrl of a create)
// is replaced by `Type/id` wherever the resources use it: Reference.reference at any depth, other
// uri/url values, and href/src attributes of the narrative. A urn:uuid or urn:oid reference that names
// no entry is a 400: storing it would leave a reference that can never resolve. Conditional
// references (`Patient?identifier=…`) are found here and resolved by the transaction.

import { badRequest } from '../../errors/outcome.ts'

/** fullUrl -> `Type/id` for the entries of one transaction. */
export type ReferenceMap = Map<string, string>

// Keys whose string values are never references: element and resource ids, and string-typed
// `value`s (Identifier.value, ContactPoint.value) that may legitimately hold a urn:uuid.
const NOT_REFERENCES = new Set(['id', 'value'])

const isPlaceholder = (s: string) => s.startsWith('urn:uuid:') || s.startsWith('urn:oid:')

/** A copy of `resource` with every placeholder in `map` resolved; the input is not changed. */
export function resolveReferences(
  resource: Record<string, unknown>,
  map: ReferenceMap
): Record<string, unknown> {
  if (!map.size && !JSON.stringify(resource).includes('"urn:')) return resource
  return walk(resource, '', map) as Record<string, unknown>
}

function walk(value: unknown, key: string, map: ReferenceMap): unknown {
  if (typeof value === 'string') return resolveString(value, key, map)
  if (Array.isArray(value)) return value.map((item) => walk(item, key, map))
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = walk(v, k, map)
    return out
  }
  return value
}

function resolveString(value: string, key: string, map: ReferenceMap): string {
  if (NOT_REFERENCES.has(key)) return value
  if (key === 'div') return resolveNarrative(value, map)
  const resolved = map.get(value)
  if (resolved !== undefined) return resolved
  if (key === 'reference' && isPlaceholder(value)) {
    throw badRequest(
      `Reference ${value} does not match the fullUrl of any entry of the transaction`
    )
  }
  return value
}

function resolveNarrative(div: string, map: ReferenceMap): string {
  if (!div.includes('urn:')) return div
  return div.replace(
    /\b(href|src)="(urn:(?:uuid|oid):[^"]+)"/g,
    (whole, attr: string, url: string) => {
      const resolved = map.get(url)
      return resolved === undefined ? whole : `${attr}="${resolved}"`
    }
  )
}

const CONDITIONAL = /^[A-Z][A-Za-z]*\?./

/** The conditional references (`Type?criteria` in a `reference`) a resource uses, at any depth. */
export function conditionalReferences(resource: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(resource)) for (const item of resource) conditionalReferences(item, found)
  else if (resource && typeof resource === 'object') {
    for (const [key, value] of Object.entries(resource)) {
      if (key === 'reference' && typeof value === 'string' && CONDITIONAL.test(value))
        found.add(value)
      else if (value && typeof value === 'object') conditionalReferences(value, found)
    }
  }
  return found
}

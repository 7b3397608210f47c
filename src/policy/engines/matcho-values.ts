// The values matcho compares that are not patterns: a `.path` reference's deep equality (as
// Clojure's `=` on JSON, bounded in depth and spending the evaluation budget), and the `$reference`
// operator's reading of a FHIR Reference as Aidbox's `{resourceType, id}`.
import { ID } from '../../lib/ids.ts'
import type { EvaluationBudget } from './budget.ts'
import { isObject, ownValue } from './path.ts'

/** Deepest value nesting compared by a `.path` reference. */
const MAX_EQUAL_DEPTH = 64

/**
 * Value equality as Clojure's `=` on JSON: missing equals null, no type coercion, deep on
 * containers.
 */
export function valueEquals(
  a: unknown,
  b: unknown,
  depth: number,
  budget: EvaluationBudget
): boolean {
  budget.spend(1)
  if (a === b) return true
  if (a === undefined || a === null) return b === undefined || b === null
  if (typeof a !== 'object' || typeof b !== 'object' || b === null) return false
  if (depth >= MAX_EQUAL_DEPTH) return false
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) {
      if (!valueEquals(a[i], b[i], depth + 1, budget)) return false
    }
    return true
  }
  if (Array.isArray(b)) return false
  let count = 0
  for (const key in a) {
    if (!Object.prototype.hasOwnProperty.call(a, key)) continue
    count++
    const av = (a as Record<string, unknown>)[key]
    if (!valueEquals(av, ownValue(b, key), depth + 1, budget)) return false
    // A key present only as null on one side still counts as a key on the other.
    if (av === undefined || av === null) {
      if (!Object.prototype.hasOwnProperty.call(b, key)) return false
    }
  }
  for (const key in b) {
    budget.spend(1)
    if (Object.prototype.hasOwnProperty.call(b, key)) count--
  }
  return count === 0
}

// `Type/id` or `Type/id/_history/vid`, with ids in the server's one id syntax (lib/ids.ts).
const RELATIVE_REFERENCE = new RegExp(`^([A-Za-z][A-Za-z0-9]{0,63})/(${ID})(?:/_history/${ID})?$`)

/**
 * `$reference`: a FHIR Reference (`{reference: 'Patient/p1'}`) or a string `Patient/p1` becomes
 * Aidbox's `{resourceType, id}`; an object that already has `resourceType` and `id` is used as is.
 * Any other string (absolute URL, `#contained`) becomes `{uri}` (our choice where Aidbox is silent,
 * docs/aidbox.md#where-aidbox-is-silent).
 */
export function toReference(x: unknown): unknown {
  let text: unknown = x
  if (isObject(x)) {
    text = ownValue(x, 'reference')
    if (typeof text !== 'string') {
      const resourceType = ownValue(x, 'resourceType')
      const id = ownValue(x, 'id')
      if (typeof resourceType === 'string' && typeof id === 'string') return { resourceType, id }
      return undefined
    }
  }
  if (typeof text !== 'string') return undefined
  const m = RELATIVE_REFERENCE.exec(text)
  return m ? { resourceType: m[1], id: m[2] } : { uri: text }
}

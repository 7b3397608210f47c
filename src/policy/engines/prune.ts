// Removes empty values from the request object before policies see it, as Aidbox does: `[]`, `{}`,
// `""` and `null` are removed (docs/aidbox.md#request-object). Aidbox documents this for
// json-schema; doing it for every engine is our choice (docs/aidbox.md#where-aidbox-is-silent).

/**
 * Returns a pruned copy of `value`, or `undefined` when nothing is left. Object keys whose value is
 * empty (after pruning its own content) are dropped. Inside arrays, empty elements become `null` so
 * that positions (`.role.0.name`, positional patterns) keep their meaning; an array of only empty
 * elements is itself empty. Strings of spaces are not empty. The input is not modified.
 */
export function pruneEmpty(value: unknown): unknown {
  if (value === null || value === undefined || value === '') return undefined
  if (typeof value !== 'object') return typeof value === 'function' ? undefined : value
  if (Array.isArray(value)) {
    let kept = 0
    const out: unknown[] = new Array(value.length)
    for (let i = 0; i < value.length; i++) {
      const v = pruneEmpty(value[i])
      if (v === undefined) {
        out[i] = null
      } else {
        out[i] = v
        kept++
      }
    }
    return kept === 0 ? undefined : out
  }
  if (!isPlainObject(value)) return value
  const out: Record<string, unknown> = {}
  let kept = 0
  for (const key of Object.keys(value)) {
    const v = pruneEmpty((value as Record<string, unknown>)[key])
    if (v === undefined) continue
    // `out[key] = v` would set the prototype for a JSON key named `__proto__`.
    if (key === '__proto__') {
      Object.defineProperty(out, key, {
        value: v,
        enumerable: true,
        writable: true,
        configurable: true,
      })
    } else {
      out[key] = v
    }
    kept++
  }
  return kept === 0 ? undefined : out
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

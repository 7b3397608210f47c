// Dot paths into the request object, shared by matcho references (`.user.data.patient_id`) and sql
// placeholders (`{{params.resource/id}}`). Parsed once at save time; resolved without allocating.

/**
 * A parsed path: the keys, and for each key its array index (or -1 when the key is not a number).
 */
export interface RequestPath {
  readonly text: string
  readonly keys: readonly string[]
  readonly indexes: readonly number[]
}

const INDEX = /^(0|[1-9][0-9]{0,8})$/

/**
 * Parses `a.b.0.c` (no leading dot). Returns an error message instead when a segment is empty. Keys
 * may contain any character but `.`; a numeric key also indexes arrays, as in matcho's `.a.0.b`
 * references (docs/access-policies.md#matcho).
 */
export function parsePath(text: string): RequestPath | string {
  const keys = text.split('.')
  for (const key of keys) {
    if (key === '') return `invalid path "${text}": empty segment`
  }
  const indexes = keys.map((k) => (INDEX.test(k) ? Number(k) : -1))
  return { text, keys, indexes }
}

/** Follows `path` from `root`; `undefined` as soon as a step is missing or not a container. */
export function resolvePath(root: unknown, path: RequestPath): unknown {
  let cur = root
  const { keys, indexes } = path
  for (let i = 0; i < keys.length; i++) {
    if (cur === null || typeof cur !== 'object') return undefined
    if (Array.isArray(cur)) {
      const index = indexes[i]!
      if (index < 0) return undefined
      cur = cur[index]
    } else {
      cur = ownValue(cur, keys[i]!)
    }
  }
  return cur
}

/**
 * `obj[key]` for own properties only, so `constructor` or `__proto__` never resolve to built-ins.
 */
export function ownValue(obj: object, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(obj, key)
    ? (obj as Record<string, unknown>)[key]
    : undefined
}

/** A plain JSON object: not null, not an array. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

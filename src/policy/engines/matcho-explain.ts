// Explains why a matcho pattern does not match, for the `POST /$matcho` debug endpoint
// (docs/aidbox.md#the-matcho-endpoint): the failing leaves, each as `{expected, but, path}`. Each
// sub-pattern is compiled and matched with the engine itself, so the explanation cannot disagree
// with it.
import { compileMatcho, matches } from './matcho.ts'
import { isObject, ownValue } from './path.ts'

export interface Mismatch {
  /** Keys and array indexes from the root of the subject to the failing value. */
  path: (string | number)[]
  /** The (sub-)pattern that failed, as written. */
  expected: unknown
  /** The value found there (null when missing). */
  but: unknown
  /** Set when matching threw (e.g. a `#regex` on a string over the length limit). */
  error?: string
}

/**
 * The mismatches of `pattern` against `subject` (empty when it matches); `.path` references
 * resolve against `context`. Throws PolicyValidationError when the pattern does not compile.
 */
export function explainMatch(
  pattern: unknown,
  subject: unknown,
  context: unknown = subject
): Mismatch[] {
  compileMatcho(pattern)
  const out: Mismatch[] = []
  walk(pattern, subject, context, [], out)
  return out
}

function walk(
  p: unknown,
  x: unknown,
  ctx: unknown,
  path: (string | number)[],
  out: Mismatch[]
): void {
  const verdict = tryMatch(p, x, ctx)
  if (verdict === true) return
  if (typeof verdict === 'string') {
    out.push({ path, expected: p, but: x ?? null, error: verdict })
    return
  }
  if (isObject(p) && isObject(x)) {
    for (const key of Object.keys(p)) {
      const value = p[key]
      if (key.startsWith('$')) {
        const operator = { [key]: value }
        const result = tryMatch(operator, x, ctx)
        if (result !== true) out.push(mismatch(path, operator, x, result))
      } else {
        walk(value, ownValue(x, key), ctx, [...path, key], out)
      }
    }
    return
  }
  if (Array.isArray(p) && Array.isArray(x)) {
    p.forEach((item, i) => walk(item, x[i], ctx, [...path, i], out))
    return
  }
  out.push(mismatch(path, p, x, verdict))
}

function mismatch(
  path: (string | number)[],
  expected: unknown,
  but: unknown,
  verdict: false | string
): Mismatch {
  const m: Mismatch = { path, expected, but: but ?? null }
  if (typeof verdict === 'string') m.error = verdict
  return m
}

/** true, false, or the message of the error matching threw. */
function tryMatch(p: unknown, x: unknown, ctx: unknown): boolean | string {
  try {
    return matches(compileMatcho(p), x, ctx)
  } catch (e) {
    return e instanceof Error ? e.message : String(e)
  }
}

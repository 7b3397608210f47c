// Explains why a matcho pattern does not match, for the `POST /$matcho` debug endpoint
// (docs/aidbox.md#the-matcho-endpoint): the failing leaves, each as `{expected, but, path}`. Each
// sub-pattern is compiled and matched with the engine itself, so the explanation cannot disagree
// with it. The whole explanation spends one evaluation budget.
import { EvaluationBudget } from './budget.ts'
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
  walk(pattern, subject, { ctx: context, budget: new EvaluationBudget() }, [], out)
  return out
}

interface Run {
  readonly ctx: unknown
  readonly budget: EvaluationBudget
}

function walk(p: unknown, x: unknown, run: Run, path: (string | number)[], out: Mismatch[]): void {
  const verdict = tryMatch(p, x, run)
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
        const result = tryMatch(operator, x, run)
        if (result !== true) out.push(mismatch(path, operator, x, result))
      } else {
        walk(value, ownValue(x, key), run, [...path, key], out)
      }
    }
    return
  }
  if (Array.isArray(p) && Array.isArray(x)) {
    p.forEach((item, i) => walk(item, x[i], run, [...path, i], out))
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
function tryMatch(p: unknown, x: unknown, run: Run): boolean | string {
  try {
    return matches(compileMatcho(p), x, run.ctx, run.budget)
  } catch (e) {
    return e instanceof Error ? e.message : String(e)
  }
}

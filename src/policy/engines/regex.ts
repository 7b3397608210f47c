// Compiles matcho `#regex` strings (Java-flavoured in Aidbox) into JavaScript RegExps, once, at
// save time, and runs them on request data with two ReDoS defences: a repeated group that itself
// repeats (`(a+)+`, `(a|b)*`) is refused at save time, and a subject longer than
// MAX_REGEX_INPUT makes the policy fail (deny) instead of being searched.

const LEADING_FLAGS = /^(\^?)\(\?([a-zA-Z]+)\)/

/** Longest string (UTF-16 code units) a `#regex` is run on; longer ones make the policy deny. */
export const MAX_REGEX_INPUT = 4096

/** Thrown when a `#regex` meets a string over MAX_REGEX_INPUT: the policy errors, so it denies. */
export class RegexInputTooLong extends Error {
  constructor(length: number) {
    super(`a #regex was applied to a string of ${length} characters (limit ${MAX_REGEX_INPUT})`)
    this.name = 'RegexInputTooLong'
  }
}

/** `re.test(x)` for request data: throws RegexInputTooLong instead of searching a long string. */
export function searchBounded(re: RegExp, x: string): boolean {
  if (x.length > MAX_REGEX_INPUT) throw new RegexInputTooLong(x.length)
  return re.test(x)
}

/**
 * Compiles the text after `#`. The match is a search, not a full match, as in Aidbox (Clojure's
 * `re-find`; docs/access-policies.md#matcho). Java inline flags at the very start (`(?i)…` or
 * `^(?i)…`, as in Aidbox's examples) become JavaScript flags: `i`, `m`, `s`; `u` is accepted and
 * ignored (docs/aidbox.md#where-aidbox-is-silent). The `u` flag is
 * always on, so Java-only escapes such as `\A`, `\Z` or `\Q…\E` are syntax errors here instead of
 * silently matching letters. Throws an Error with a readable message when the expression cannot
 * be compiled or has a nested repetition (see `nestedRepetition`).
 */
export function compileMatchoRegex(source: string): RegExp {
  let body = source
  let flags = 'u'
  const m = LEADING_FLAGS.exec(source)
  if (m) {
    for (const flag of m[2]!) {
      if (flag === 'u') continue
      if (flag !== 'i' && flag !== 'm' && flag !== 's') {
        throw new Error(`inline flag (?${flag}) is not supported (only i, m, s)`)
      }
      if (!flags.includes(flag)) flags += flag
    }
    body = m[1]! + source.slice(m[0].length)
  }
  let re: RegExp
  try {
    re = new RegExp(body, flags)
  } catch (e) {
    throw new Error(e instanceof Error ? e.message : String(e))
  }
  const nested = nestedRepetition(body)
  if (nested !== undefined) {
    throw new Error(
      `the group at offset ${nested} repeats and contains a repetition or alternation, which can ` +
        'take exponential time on hostile input (ReDoS); use a character class instead, e.g. ' +
        '[\\w/]* for (\\w+/)*'
    )
  }
  return re
}

interface Frame {
  /** Offset of the `(` that opened the group. */
  at: number
  /** The group contains an unbounded quantifier or an alternation. */
  risky: boolean
}

/**
 * Offset of the first group that is repeated (`*`, `+`, `{n,}`, `{n,m}` with m > 1) and contains
 * an unbounded quantifier or a `|`: the shapes of catastrophic backtracking (star height > 1,
 * repeated overlapping alternatives). Meant for sources that compile; any text terminates.
 */
export function nestedRepetition(source: string): number | undefined {
  const stack: Frame[] = [{ at: -1, risky: false }]
  let i = 0
  const n = source.length
  while (i < n) {
    const c = source[i]!
    if (c === '\\') {
      const next = source[i + 1]
      // \u{…}, \p{…}, \P{…} and \k<name> carry braces or angles that are not quantifiers.
      if ((next === 'u' || next === 'p' || next === 'P') && source[i + 2] === '{') {
        i = after(source, '}', i)
      } else if (next === 'k' && source[i + 2] === '<') {
        i = after(source, '>', i)
      } else {
        i += 2
      }
      i = afterQuantifier(source, i, stack)
    } else if (c === '[') {
      i = afterClass(source, i)
      i = afterQuantifier(source, i, stack)
    } else if (c === '(') {
      stack.push({ at: i, risky: false })
      i = afterGroupPrefix(source, i + 1)
    } else if (c === ')') {
      if (stack.length === 1) {
        i++ // unbalanced: not a valid regex, nothing to judge
        continue
      }
      const group = stack.pop()!
      const repeated = quantifierAt(source, i + 1)
      if (group.risky && repeated?.repeats) return group.at
      if (group.risky || repeated?.unbounded) stack[stack.length - 1]!.risky = true
      i = repeated ? repeated.end : i + 1
    } else if (c === '|') {
      stack[stack.length - 1]!.risky = true
      i++
    } else {
      i = afterQuantifier(source, i + 1, stack)
    }
  }
  return undefined
}

/** After an atom ending at `i`: skips its quantifier, marking the group when it is unbounded. */
function afterQuantifier(source: string, i: number, stack: Frame[]): number {
  const q = quantifierAt(source, i)
  if (!q) return i
  if (q.unbounded) stack[stack.length - 1]!.risky = true
  return q.end
}

const BRACES = /^\{(\d+)(,(\d*))?\}/

function quantifierAt(
  source: string,
  i: number
): { end: number; unbounded: boolean; repeats: boolean } | undefined {
  const c = source[i]
  let end: number
  let unbounded = false
  let repeats = false
  if (c === '*' || c === '+') {
    end = i + 1
    unbounded = repeats = true
  } else if (c === '?') {
    end = i + 1
  } else if (c === '{') {
    const m = BRACES.exec(source.slice(i))
    if (!m) return undefined
    end = i + m[0].length
    const max = m[2] === undefined ? Number(m[1]) : m[3] === '' ? Infinity : Number(m[3])
    unbounded = max === Infinity
    repeats = max > 1
  } else {
    return undefined
  }
  if (source[end] === '?') end++ // lazy
  return { end, unbounded, repeats }
}

/** Index after the `]` closing the class opened at `i`. */
function afterClass(source: string, i: number): number {
  let j = i + 1
  while (j < source.length && source[j] !== ']') j += source[j] === '\\' ? 2 : 1
  return j + 1
}

/** Skips `?:`, `?=`, `?!`, `?<=`, `?<!` and `?<name>` after a `(`. */
function afterGroupPrefix(source: string, i: number): number {
  if (source[i] !== '?') return i
  if (source[i + 1] === '<' && source[i + 2] !== '=' && source[i + 2] !== '!') {
    return after(source, '>', i)
  }
  return i + (source[i + 1] === '<' ? 3 : 2)
}

/** Index after the next `char` from `i`, or the end (the scan always moves forward). */
function after(source: string, char: string, i: number): number {
  const at = source.indexOf(char, i)
  return at < 0 ? source.length : at + 1
}

// Policy regexes: matcho `#regex` strings (Java-flavoured in Aidbox) and json-schema `pattern`s,
// compiled once at save time into linear-time automata (regex-nfa.ts) instead of native,
// backtracking RegExps, so no pattern and no input can make a search take exponential or
// polynomial time (ReDoS). Backreferences are refused. A subject longer than MAX_REGEX_INPUT makes
// the policy fail (deny) instead of being searched; every search spends the evaluation budget
// (docs/access-policies.md#limits).
import type { EvaluationBudget } from './budget.ts'
import { compileProgram, searchProgram } from './regex-nfa.ts'
import type { RegexFlags, RegexProgram } from './regex-nfa.ts'
import { parseRegex } from './regex-syntax.ts'

const LEADING_FLAGS = /^(\^?)\(\?([a-zA-Z]+)\)/

/** Longest string (UTF-16 code units) a regex is run on; longer ones make the policy deny. */
export const MAX_REGEX_INPUT = 4096

/** Thrown when a regex meets a string over MAX_REGEX_INPUT: the policy errors, so it denies. */
export class RegexInputTooLong extends Error {
  constructor(length: number) {
    super(`a regex was applied to a string of ${length} characters (limit ${MAX_REGEX_INPUT})`)
    this.name = 'RegexInputTooLong'
  }
}

/** A compiled policy regex: `test` searches (unanchored, like RegExp#test) in linear time. */
export class PolicyRegex {
  readonly source: string
  private readonly program: RegexProgram

  constructor(source: string, program: RegexProgram) {
    this.source = source
    this.program = program
  }

  /** Throws RegexInputTooLong over MAX_REGEX_INPUT, BudgetExceeded when the budget runs out. */
  test(text: string, budget: EvaluationBudget): boolean {
    if (text.length > MAX_REGEX_INPUT) throw new RegexInputTooLong(text.length)
    return searchProgram(this.program, text, budget)
  }
}

/**
 * Compiles the text after a matcho `#`. The match is a search, not a full match, as in Aidbox
 * (Clojure's `re-find`; docs/access-policies.md#matcho). Java inline flags at the very start
 * (`(?i)…` or `^(?i)…`, as in Aidbox's examples) become JavaScript flags: `i`, `m`, `s`; `u` is
 * accepted and ignored (docs/aidbox.md#where-aidbox-is-silent). The syntax is JavaScript's `u`
 * mode, so Java-only escapes such as `\A`, `\Z` or `\Q…\E` are syntax errors here instead of
 * silently matching letters. Throws an Error with a readable message when the expression does not
 * compile, uses a backreference, or is too large.
 */
export function compileMatchoRegex(source: string): PolicyRegex {
  let body = source
  const flags = { i: false, m: false, s: false }
  const m = LEADING_FLAGS.exec(source)
  if (m) {
    for (const flag of m[2]!) {
      if (flag === 'u') continue
      if (flag !== 'i' && flag !== 'm' && flag !== 's') {
        throw new Error(`inline flag (?${flag}) is not supported (only i, m, s)`)
      }
      flags[flag] = true
    }
    body = m[1]! + source.slice(m[0].length)
  }
  return compileRegex(body, flags)
}

/** Compiles a json-schema `pattern` (ECMA-262 syntax, `u` flag, as the validator would). */
export function compilePatternRegex(source: string): PolicyRegex {
  return compileRegex(source, { i: false, m: false, s: false })
}

function compileRegex(body: string, flags: RegexFlags): PolicyRegex {
  try {
    // Native compilation reports syntax errors in the engine's own words.
    new RegExp(body, 'u' + (flags.i ? 'i' : '') + (flags.m ? 'm' : '') + (flags.s ? 's' : ''))
  } catch (e) {
    throw new Error(e instanceof Error ? e.message : String(e))
  }
  return new PolicyRegex(body, compileProgram(parseRegex(body), flags))
}

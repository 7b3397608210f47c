// A linear-time regex search (Thompson's construction, simulated one code point at a time): the
// time is at most the input length times the number of states, whatever the pattern and input, so
// policy regexes cannot backtrack (ReDoS). Each lookahead or lookbehind is first computed for every
// position by one pass of its own automaton (backwards for a lookahead), so it costs a pass, not a
// search per position. Each character class or escape is decided by a native RegExp on one code
// point, so classes, `\p{…}` and case folding mean exactly what they mean in JavaScript.
import type { EvaluationBudget } from './budget.ts'
import type { RegexNode } from './regex-syntax.ts'

/** Most states a compiled regex may have (counted repetitions are expanded: `a{100}` is 100). */
const MAX_REGEX_STATES = 2000

export interface RegexFlags {
  readonly i: boolean
  readonly m: boolean
  readonly s: boolean
}

type Matcher = (cp: number) => boolean
/** `^`, `$`, `\b`, `\B`, or the index of a lookaround. */
type Assertion = '^' | '$' | 'b' | 'B' | number

const CHAR = 0
const SPLIT = 1
const ASSERT = 2
const MATCH = 3

/** A lookaround: its automaton, run over the whole text to mark the positions where it holds. */
interface Lookaround {
  readonly start: number
  /** Lookbehinds run forwards (a match ends at the position), lookaheads backwards. */
  readonly forward: boolean
  readonly negate: boolean
}

/** A compiled regex. States of every automaton live in the same parallel arrays. */
export interface RegexProgram {
  readonly op: readonly number[]
  /** The successor; for a SPLIT, the first branch. */
  readonly next: readonly number[]
  /** The second branch of a SPLIT. */
  readonly alt: readonly number[]
  readonly matcher: readonly (Matcher | undefined)[]
  readonly assertion: readonly (Assertion | undefined)[]
  readonly start: number
  /** Inner lookarounds come before the ones that contain them. */
  readonly lookarounds: readonly Lookaround[]
  readonly multiline: boolean
  readonly word: Matcher
}

/** Builds the automata; throws when they would have more than MAX_REGEX_STATES states. */
export function compileProgram(node: RegexNode, flags: RegexFlags): RegexProgram {
  const native = 'u' + (flags.i ? 'i' : '') + (flags.s ? 's' : '')
  const matchers = new Map<string, Matcher>()
  const matcherOf = (source: string): Matcher => {
    let m = matchers.get(source)
    if (!m) matchers.set(source, (m = nativeMatcher(source, native)))
    return m
  }
  const op: number[] = []
  const next: number[] = []
  const alt: number[] = []
  const matcher: (Matcher | undefined)[] = []
  const assertion: (Assertion | undefined)[] = []
  const lookarounds: Lookaround[] = []
  const add = (o: number, n: number, a = -1, m?: Matcher, as?: Assertion): number => {
    if (op.length >= MAX_REGEX_STATES) {
      throw new Error(
        `the regex needs more than ${MAX_REGEX_STATES} states (counted repetitions such as ` +
          'x{1,1000} are expanded); simplify it'
      )
    }
    op.push(o)
    next.push(n)
    alt.push(a)
    matcher.push(m)
    assertion.push(as)
    return op.length - 1
  }
  // Built backwards: each call returns the state that matches `n` and then continues at `cont`.
  const build = (n: RegexNode, cont: number): number => {
    switch (n.t) {
      case 'char':
        return add(CHAR, cont, -1, matcherOf(n.source))
      case 'assert':
        return add(ASSERT, cont, -1, undefined, n.kind)
      case 'look': {
        const start = build(n.behind ? n.node : reversed(n.node), add(MATCH, -1))
        lookarounds.push({ start, forward: n.behind, negate: n.negate })
        return add(ASSERT, cont, -1, undefined, lookarounds.length - 1)
      }
      case 'seq': {
        let at = cont
        for (let k = n.items.length - 1; k >= 0; k--) at = build(n.items[k]!, at)
        return at
      }
      case 'alt': {
        const starts = n.items.map((item) => build(item, cont))
        let at = starts[starts.length - 1]!
        for (let k = starts.length - 2; k >= 0; k--) at = add(SPLIT, starts[k]!, at)
        return at
      }
      case 'repeat': {
        let at = cont
        if (n.max === Infinity) {
          const loop = add(SPLIT, -1, cont)
          next[loop] = build(n.node, loop)
          at = loop
        } else {
          for (let k = n.min; k < n.max; k++) at = add(SPLIT, build(n.node, at), cont)
        }
        for (let k = 0; k < n.min; k++) at = build(n.node, at)
        return at
      }
    }
  }
  const start = build(node, add(MATCH, -1))
  const word = matcherOf('\\w')
  return { op, next, alt, matcher, assertion, start, lookarounds, multiline: flags.m, word }
}

/** The same language read right to left (lookarounds inside keep their own direction). */
function reversed(n: RegexNode): RegexNode {
  switch (n.t) {
    case 'seq':
      return { t: 'seq', items: n.items.map(reversed).reverse() }
    case 'alt':
      return { t: 'alt', items: n.items.map(reversed) }
    case 'repeat':
      return { ...n, node: reversed(n.node) }
    default:
      return n
  }
}

/**
 * Whether the regex matches somewhere in `text` (a search, like RegExp#test). Spends one budget
 * step per live state per character, for the search and for each lookaround pass.
 */
export function searchProgram(p: RegexProgram, text: string, budget: EvaluationBudget): boolean {
  const scan = new Scan(p, text, budget)
  for (const look of p.lookarounds) {
    const holds = new Uint8Array(text.length + 1)
    scan.run(look.start, look.forward, holds)
    scan.tables.push(holds)
  }
  return scan.run(p.start, true, undefined)
}

/** One text being scanned; `tables[k][pos]` is 1 where lookaround k's pattern matches. */
class Scan {
  readonly tables: Uint8Array[] = []
  private readonly p: RegexProgram
  private readonly text: string
  private readonly budget: EvaluationBudget
  private readonly mark: Int32Array
  private generation = 0
  private readonly stack: number[] = []
  private count = 0
  private matched = false

  constructor(p: RegexProgram, text: string, budget: EvaluationBudget) {
    this.p = p
    this.text = text
    this.budget = budget
    this.mark = new Int32Array(p.op.length).fill(-1)
  }

  /**
   * Runs the automaton at `start` with a new attempt at every position. Without `record`, returns
   * true at the first match; with it, marks every position where an attempt ends in a match.
   */
  run(start: number, forward: boolean, record: Uint8Array | undefined): boolean {
    const { p, text } = this
    let current = new Int32Array(p.op.length)
    let following = new Int32Array(p.op.length)
    let pos = forward ? 0 : text.length
    this.count = 0
    this.generation++
    this.matched = false
    this.close(current, start, pos)
    for (;;) {
      if (this.matched) {
        if (!record) return true
        record[pos] = 1
      }
      if (forward ? pos >= text.length : pos <= 0) return false
      const cp = forward ? text.codePointAt(pos)! : codePointBefore(text, pos)
      const step = cp > 0xffff ? 2 : 1
      const to = forward ? pos + step : pos - step
      this.budget.spend(this.count + 1)
      const live = this.count
      this.count = 0
      this.generation++
      this.matched = false
      for (let k = 0; k < live; k++) {
        const s = current[k]!
        if (p.matcher[s]!(cp)) this.close(following, p.next[s]!, to)
      }
      pos = to
      this.close(following, start, pos)
      const swap = current
      current = following
      following = swap
    }
  }

  /** Adds to `list` the states reachable from `from` at `at` without reading a character. */
  private close(list: Int32Array, from: number, at: number): void {
    const { p, mark, stack } = this
    stack.push(from)
    while (stack.length > 0) {
      const s = stack.pop()!
      if (mark[s] === this.generation) continue
      mark[s] = this.generation
      switch (p.op[s]) {
        case MATCH:
          this.matched = true
          break
        case CHAR:
          list[this.count++] = s
          break
        case SPLIT:
          stack.push(p.alt[s]!, p.next[s]!)
          break
        case ASSERT:
          if (this.holds(p.assertion[s]!, at)) stack.push(p.next[s]!)
          break
      }
    }
  }

  private holds(kind: Assertion, at: number): boolean {
    const { p, text } = this
    switch (kind) {
      case '^':
        return at === 0 || (p.multiline && isLineTerminator(text.charCodeAt(at - 1)))
      case '$':
        return at === text.length || (p.multiline && isLineTerminator(text.charCodeAt(at)))
      case 'b':
      case 'B': {
        const before = at > 0 && p.word(codePointBefore(text, at))
        const after = at < text.length && p.word(text.codePointAt(at)!)
        return (before !== after) === (kind === 'b')
      }
      default:
        return (this.tables[kind]![at] === 1) !== p.lookarounds[kind]!.negate
    }
  }
}

function isLineTerminator(c: number): boolean {
  return c === 0x0a || c === 0x0d || c === 0x2028 || c === 0x2029
}

/** The code point that ends at `at` (a surrogate pair counts as one). */
function codePointBefore(text: string, at: number): number {
  const low = text.charCodeAt(at - 1)
  if (low >= 0xdc00 && low <= 0xdfff && at >= 2) {
    const high = text.charCodeAt(at - 2)
    if (high >= 0xd800 && high <= 0xdbff) return text.codePointAt(at - 2)!
  }
  return low
}

/** Matches one code point as the atom `source` does in a native RegExp; ASCII answers cached. */
function nativeMatcher(source: string, flags: string): Matcher {
  const re = new RegExp(`^(?:${source})$`, flags)
  const ascii = new Int8Array(128).fill(-1)
  return (cp) => {
    if (cp < 128) {
      let known = ascii[cp]!
      if (known < 0) ascii[cp] = known = re.test(String.fromCharCode(cp)) ? 1 : 0
      return known === 1
    }
    return re.test(String.fromCodePoint(cp))
  }
}

// Parses the JavaScript regex syntax (`u` mode) that policy regexes may use into a small tree, for
// the linear-time matcher in regex-nfa.ts. Backreferences are refused: no automaton matches them in
// linear time (docs/access-policies.md#limits). The source is expected to have compiled as a native
// RegExp first, so syntax errors are already reported.

/** A regex as a tree. A `char` matches one code point; its `source` is the atom as written. */
export type RegexNode =
  | { readonly t: 'char'; readonly source: string }
  | { readonly t: 'assert'; readonly kind: '^' | '$' | 'b' | 'B' }
  | { readonly t: 'seq'; readonly items: readonly RegexNode[] }
  | { readonly t: 'alt'; readonly items: readonly RegexNode[] }
  | { readonly t: 'repeat'; readonly node: RegexNode; readonly min: number; readonly max: number }
  | {
      readonly t: 'look'
      readonly behind: boolean
      readonly negate: boolean
      readonly node: RegexNode
    }

const BRACES = /^\{(\d+)(,(\d*))?\}/

/** Parses `source` (a valid `u`-mode pattern); throws an Error naming what is not supported. */
export function parseRegex(source: string): RegexNode {
  const parser = new Parser(source)
  const node = parser.disjunction()
  if (parser.i < source.length) throw new Error(`unbalanced ")" at offset ${parser.i}`)
  return node
}

class Parser {
  i = 0
  readonly s: string

  constructor(s: string) {
    this.s = s
  }

  disjunction(): RegexNode {
    const items = [this.alternative()]
    while (this.s[this.i] === '|') {
      this.i++
      items.push(this.alternative())
    }
    return items.length === 1 ? items[0]! : { t: 'alt', items }
  }

  private alternative(): RegexNode {
    const items: RegexNode[] = []
    while (this.i < this.s.length && this.s[this.i] !== '|' && this.s[this.i] !== ')') {
      const atom = this.atom()
      // Assertions take no quantifier in `u` mode.
      items.push(atom.t === 'assert' || atom.t === 'look' ? atom : this.quantified(atom))
    }
    return items.length === 1 ? items[0]! : { t: 'seq', items }
  }

  private quantified(node: RegexNode): RegexNode {
    const c = this.s[this.i]
    let min: number
    let max: number
    if (c === '*' || c === '+' || c === '?') {
      min = c === '+' ? 1 : 0
      max = c === '?' ? 1 : Infinity
      this.i++
    } else if (c === '{') {
      const m = BRACES.exec(this.s.slice(this.i))
      if (!m) return node
      min = Number(m[1])
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3])
      this.i += m[0].length
    } else {
      return node
    }
    // A lazy quantifier finds the same matches; only which one comes first differs.
    if (this.s[this.i] === '?') this.i++
    return { t: 'repeat', node, min, max }
  }

  private atom(): RegexNode {
    const { s, i } = this
    const c = s[i]!
    if (c === '^' || c === '$') {
      this.i++
      return { t: 'assert', kind: c }
    }
    if (c === '(') return this.group()
    if (c === '[') return this.char(this.classEnd(i))
    if (c === '\\') return this.escape()
    return this.char(i + codePointLength(s, i))
  }

  private group(): RegexNode {
    const { s, i } = this
    const look = /^\(\?(<?)([=!])/.exec(s.slice(i, i + 4))
    if (look) {
      this.i += look[0].length
      const node = this.disjunction()
      this.i++ // ")"
      return { t: 'look', behind: look[1] === '<', negate: look[2] === '!', node }
    }
    if (s.startsWith('(?:', i)) {
      this.i += 3
    } else if (s.startsWith('(?<', i)) {
      this.i = s.indexOf('>', i) + 1
    } else if (s[i + 1] === '?') {
      throw new Error(`the group at offset ${i} is not supported`)
    } else {
      this.i++
    }
    const inner = this.disjunction()
    this.i++ // ")"
    return inner
  }

  private escape(): RegexNode {
    const { s, i } = this
    const next = s[i + 1]!
    if (next === 'b' || next === 'B') {
      this.i += 2
      return { t: 'assert', kind: next }
    }
    if ((next >= '1' && next <= '9') || next === 'k') {
      throw new Error(
        `backreferences (offset ${i}) cannot be matched in linear time and are not supported`
      )
    }
    if ((next === 'p' || next === 'P' || next === 'u') && s[i + 2] === '{') {
      return this.char(s.indexOf('}', i) + 1)
    }
    if (next === 'u') {
      const lead = parseInt(s.slice(i + 2, i + 6), 16)
      const pair = lead >= 0xd800 && lead <= 0xdbff && /^\\u[dD][c-fC-F]/.test(s.slice(i + 6))
      return this.char(i + (pair ? 12 : 6))
    }
    if (next === 'x') return this.char(i + 4)
    if (next === 'c') return this.char(i + 3)
    return this.char(i + 1 + codePointLength(s, i + 1))
  }

  /** Index after the `]` of the class opened at `i`. */
  private classEnd(i: number): number {
    let j = i + 1
    while (j < this.s.length && this.s[j] !== ']') j += this.s[j] === '\\' ? 2 : 1
    return j + 1
  }

  private char(end: number): RegexNode {
    const source = this.s.slice(this.i, end)
    this.i = end
    return { t: 'char', source }
  }
}

function codePointLength(s: string, i: number): number {
  return (s.codePointAt(i) ?? 0) > 0xffff ? 2 : 1
}

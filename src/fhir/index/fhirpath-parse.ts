// FHIRPath parser for the subset that R4 SearchParameter expressions use: paths, `|`, `( )`, `[n]`,
// literals, %resource, $this, functions (where, ofType, as, is, exists, empty, not, first, last,
// resolve, extension, ...), `is`/`as`, and/or/xor/implies, equality and comparison. Anything else
// (arithmetic, date literals, unknown functions) is a syntax error; callers mark it unsupported.

export type BinaryOp =
  '|' | 'and' | 'or' | 'xor' | 'implies' | '=' | '!=' | '~' | '!~' | '<' | '>' | '<=' | '>='

export type FpNode =
  | { k: 'this' }
  | { k: 'empty' }
  | { k: 'lit'; v: string | number | boolean }
  | { k: 'var'; name: string }
  | { k: 'member'; src: FpNode; name: string; root: boolean }
  | { k: 'call'; src: FpNode; name: string; args: FpNode[] }
  | { k: 'index'; src: FpNode; index: FpNode }
  | { k: 'bin'; op: BinaryOp; l: FpNode; r: FpNode }
  | { k: 'type'; op: 'is' | 'as'; src: FpNode; type: string }

export class FhirPathSyntaxError extends Error {}

/** Functions the evaluator implements: name → [min args, max args, arg 1 is a type specifier]. */
const FUNCTIONS: Readonly<Record<string, readonly [number, number, boolean]>> = {
  where: [1, 1, false],
  exists: [0, 1, false],
  empty: [0, 0, false],
  not: [0, 0, false],
  first: [0, 0, false],
  last: [0, 0, false],
  count: [0, 0, false],
  hasValue: [0, 0, false],
  resolve: [0, 0, false],
  extension: [1, 1, false],
  ofType: [1, 1, true],
  as: [1, 1, true],
  is: [1, 1, true],
}

/** Environment variables the evaluator knows (FHIRPath N1 §Environment variables). */
const VARIABLES = new Set(['resource', 'rootResource', 'context', 'ucum', 'sct', 'loinc'])

interface Token {
  t: 'id' | 'str' | 'num' | 'op' | 'var' | 'end'
  v: string
  pos: number
}

/** Operator tokens, two-character ones first so that `<=` is not read as `<`. */
const OPS = '<= >= != !~ . ( ) [ ] , | = ~ < > { }'.split(' ')
const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', f: '\f' }

function tokenize(src: string): Token[] {
  const out: Token[] = []
  let i = 0
  const fail = (msg: string): never => {
    throw new FhirPathSyntaxError(`${msg} at ${i} in: ${src}`)
  }
  while (i < src.length) {
    const c = src[i]
    if (/\s/.test(c)) {
      i++
    } else if (c === "'" || c === '`') {
      const start = i++
      let s = ''
      while (i < src.length && src[i] !== c) {
        if (src[i] === '\\') {
          const e = src[++i]
          if (e === 'u') {
            s += String.fromCharCode(parseInt(src.slice(i + 1, i + 5), 16))
            i += 4
          } else s += ESCAPES[e] ?? e
        } else s += src[i]
        i++
      }
      if (i >= src.length) fail('unterminated literal')
      i++
      out.push({ t: c === "'" ? 'str' : 'id', v: s, pos: start })
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?/.exec(src.slice(i))!
      out.push({ t: 'num', v: m[0], pos: i })
      i += m[0].length
    } else if (/[A-Za-z_]/.test(c) || (c === '$' && /[a-z]/.test(src[i + 1] ?? ''))) {
      const m = /^\$?[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!
      out.push({ t: 'id', v: m[0], pos: i })
      i += m[0].length
    } else if (c === '%') {
      const m = /^%([A-Za-z_][A-Za-z0-9_]*)/.exec(src.slice(i))
      if (!m) fail('unsupported environment variable')
      out.push({ t: 'var', v: m![1], pos: i })
      i += m![0].length
    } else {
      const op = OPS.find((o) => src.startsWith(o, i))
      if (!op) fail(`unsupported character '${c}'`)
      out.push({ t: 'op', v: op!, pos: i })
      i += op!.length
    }
  }
  out.push({ t: 'end', v: '', pos: src.length })
  return out
}

/** Binding power of binary operators (FHIRPath N1 §Operator precedence); higher binds tighter. */
const PREC: Record<string, number> = {
  implies: 1,
  or: 2,
  xor: 2,
  and: 3,
  '=': 5,
  '!=': 5,
  '~': 5,
  '!~': 5,
  '<': 6,
  '>': 6,
  '<=': 6,
  '>=': 6,
  '|': 7,
  is: 8,
  as: 8,
}
const WORD_OPS = new Set(['implies', 'or', 'xor', 'and', 'is', 'as'])

class Parser {
  toks: Token[]
  i = 0
  src: string
  constructor(src: string) {
    this.src = src
    this.toks = tokenize(src)
  }

  fail(msg: string): never {
    const tok = this.toks[this.i]
    throw new FhirPathSyntaxError(`${msg} at ${tok.pos} in: ${this.src}`)
  }
  peek(): Token {
    return this.toks[this.i]
  }
  isOp(v: string): boolean {
    const tok = this.peek()
    return tok.t === 'op' && tok.v === v
  }
  expectOp(v: string): void {
    if (!this.isOp(v)) this.fail(`expected '${v}'`)
    this.i++
  }

  binaryOp(): string | undefined {
    const tok = this.peek()
    if (tok.t === 'op' && tok.v in PREC) return tok.v
    if (tok.t === 'id' && WORD_OPS.has(tok.v)) return tok.v
    return undefined
  }

  expr(minPrec = 0): FpNode {
    let left = this.postfix()
    for (let op = this.binaryOp(); op && PREC[op] >= minPrec; op = this.binaryOp()) {
      this.i++
      if (op === 'is' || op === 'as') left = { k: 'type', op, src: left, type: this.typeSpec() }
      else left = { k: 'bin', op: op as BinaryOp, l: left, r: this.expr(PREC[op] + 1) }
    }
    return left
  }

  typeSpec(): string {
    const parts: string[] = []
    for (;;) {
      const tok = this.peek()
      if (tok.t !== 'id') this.fail('expected a type name')
      parts.push(tok.v)
      this.i++
      if (parts.length === 2 || !this.isOp('.')) return parts.join('.')
      this.i++
    }
  }

  call(src: FpNode, name: string): FpNode {
    const spec = FUNCTIONS[name]
    if (!spec) this.fail(`unsupported function ${name}()`)
    this.expectOp('(')
    const args: FpNode[] = []
    if (!this.isOp(')')) {
      args.push(spec[2] ? { k: 'lit', v: this.typeSpec() } : this.expr())
      while (this.isOp(',')) {
        this.i++
        args.push(this.expr())
      }
    }
    this.expectOp(')')
    if (args.length < spec[0] || args.length > spec[1]) this.fail(`wrong arity for ${name}()`)
    return { k: 'call', src, name, args }
  }

  postfix(): FpNode {
    let node = this.term()
    for (;;) {
      if (this.isOp('.')) {
        this.i++
        const tok = this.peek()
        if (tok.t !== 'id') this.fail('expected a name after .')
        this.i++
        node = this.isOp('(')
          ? this.call(node, tok.v)
          : { k: 'member', src: node, name: tok.v, root: false }
      } else if (this.isOp('[')) {
        this.i++
        node = { k: 'index', src: node, index: this.expr() }
        this.expectOp(']')
      } else return node
    }
  }

  term(): FpNode {
    const tok = this.peek()
    this.i++
    switch (tok.t) {
      case 'str':
        return { k: 'lit', v: tok.v }
      case 'num':
        return { k: 'lit', v: Number(tok.v) }
      case 'var':
        if (!VARIABLES.has(tok.v)) this.fail(`unsupported variable %${tok.v}`)
        return { k: 'var', name: tok.v }
      case 'id':
        if (tok.v === 'true' || tok.v === 'false') return { k: 'lit', v: tok.v === 'true' }
        if (tok.v === '$this') return { k: 'this' }
        if (tok.v.startsWith('$')) return this.fail(`unsupported ${tok.v}`)
        if (this.isOp('(')) return this.call({ k: 'this' }, tok.v)
        return { k: 'member', src: { k: 'this' }, name: tok.v, root: true }
      case 'op':
        if (tok.v === '(') {
          const inner = this.expr()
          this.expectOp(')')
          return inner
        }
        if (tok.v === '{') {
          this.expectOp('}')
          return { k: 'empty' }
        }
    }
    this.i--
    return this.fail(`unexpected '${tok.v}'`)
  }
}

/** Parses a FHIRPath expression of the supported subset; throws FhirPathSyntaxError otherwise. */
export function parseFhirPath(src: string): FpNode {
  const p = new Parser(src)
  const node = p.expr()
  if (p.peek().t !== 'end') p.fail(`unexpected '${p.peek().v}'`)
  return node
}

/** Splits an expression at its top-level `|` (outside parentheses, brackets and literals). */
export function splitUnion(src: string): string[] {
  const out: string[] = []
  let depth = 0
  let quote = ''
  let start = 0
  for (let i = 0; i < src.length; i++) {
    const c = src[i]
    if (quote) {
      if (c === '\\') i++
      else if (c === quote) quote = ''
    } else if (c === "'" || c === '`') quote = c
    else if (c === '(' || c === '[') depth++
    else if (c === ')' || c === ']') depth--
    else if (c === '|' && depth === 0) {
      out.push(src.slice(start, i).trim())
      start = i + 1
    }
  }
  out.push(src.slice(start).trim())
  return out
}

// A tokenizer for SQLite text, just precise enough to check AccessPolicy SQL safely: it knows
// string literals, quoted identifiers, comments, numbers, words and `{{path}}` placeholders, as
// SQLite does.

export type SqlTokenKind =
  | 'word' // keyword or bare identifier
  | 'string' // '…' literal
  | 'ident' // "…", `…` or […] quoted identifier
  | 'number'
  | 'punct' // one operator or punctuation character (or `->`, `->>`, `||`, `<=`…)
  | 'placeholder' // {{path}} or {{!path}}
  | 'space' // whitespace or a comment (comments are replaced by one space in the output)

export interface SqlToken {
  readonly kind: SqlTokenKind
  /** Source text; for a placeholder, the trimmed content between the braces. */
  readonly text: string
  /** Offset in the source, for error messages. */
  readonly at: number
}

/** Thrown for text SQLite would not read as we do; `message` is shown to the policy author. */
export class SqlLexError extends Error {}

const OPERATORS = ['->>', '->', '||', '<=', '>=', '==', '!=', '<>', '<<', '>>']
const PUNCT = '()+-*/%<>=!|&~,.;'

/**
 * Splits `sql` into tokens. Throws SqlLexError on unterminated literals/comments or stray
 * parameters.
 */
export function tokenizeSql(sql: string): SqlToken[] {
  const tokens: SqlToken[] = []
  let i = 0
  const n = sql.length
  while (i < n) {
    const c = sql[i]!
    const start = i
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') {
      while (i < n && ' \t\n\r\f'.includes(sql[i]!)) i++
      tokens.push({ kind: 'space', text: sql.slice(start, i), at: start })
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i)
      i = end < 0 ? n : end
      tokens.push({ kind: 'space', text: ' ', at: start })
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2)
      if (end < 0) throw new SqlLexError(`unterminated /* comment at offset ${start}`)
      i = end + 2
      tokens.push({ kind: 'space', text: ' ', at: start })
    } else if (c === "'" || c === '"' || c === '`') {
      i = skipQuoted(sql, i, c)
      tokens.push({ kind: c === "'" ? 'string' : 'ident', text: sql.slice(start, i), at: start })
    } else if (c === '[') {
      const end = sql.indexOf(']', i + 1)
      if (end < 0) throw new SqlLexError(`unterminated [identifier at offset ${start}`)
      i = end + 1
      tokens.push({ kind: 'ident', text: sql.slice(start, i), at: start })
    } else if (c === '{') {
      if (sql[i + 1] !== '{') throw new SqlLexError(`unexpected "{" at offset ${start}`)
      const end = sql.indexOf('}}', i + 2)
      const inner = end < 0 ? '' : sql.slice(i + 2, end)
      if (end < 0 || /[\n{}]/.test(inner)) {
        throw new SqlLexError(`unterminated {{placeholder}} at offset ${start}`)
      }
      i = end + 2
      tokens.push({ kind: 'placeholder', text: inner.trim(), at: start })
    } else if (isDigit(c) || (c === '.' && isDigit(sql[i + 1] ?? ''))) {
      while (i < n && (isWordChar(sql[i]!) || sql[i] === '.')) i++
      // Exponent sign: 1e-5
      if ((sql[i] === '-' || sql[i] === '+') && /e$/i.test(sql.slice(start, i))) {
        i++
        while (i < n && isWordChar(sql[i]!)) i++
      }
      tokens.push({ kind: 'number', text: sql.slice(start, i), at: start })
    } else if (isWordStart(c)) {
      while (i < n && isWordChar(sql[i]!)) i++
      tokens.push({ kind: 'word', text: sql.slice(start, i), at: start })
    } else if ('?:@$#'.includes(c)) {
      throw new SqlLexError(
        `bind parameter "${c}" at offset ${start} is not allowed; use {{path}} placeholders`
      )
    } else if (PUNCT.includes(c)) {
      const op = OPERATORS.find((o) => sql.startsWith(o, i)) ?? c
      i += op.length
      tokens.push({ kind: 'punct', text: op, at: start })
    } else {
      const shown = c === '\0' ? 'NUL' : JSON.stringify(c)
      throw new SqlLexError(`unexpected character ${shown} at offset ${start}`)
    }
  }
  return tokens
}

/**
 * The name a token stands for where SQLite expects a name: a bare word, or the content of a
 * quoted identifier or string literal (doubled quotes undone); undefined for other tokens.
 */
export function identifierName(t: SqlToken): string | undefined {
  if (t.kind === 'word') return t.text
  if (t.kind !== 'ident' && t.kind !== 'string') return undefined
  const body = t.text.slice(1, -1)
  const quote = t.text[0]
  return quote === '[' ? body : body.replaceAll(quote + quote, quote!)
}

/** Whether `t` is the keyword `word` (upper case). */
export function isWord(t: SqlToken | undefined, word: string): boolean {
  return t !== undefined && t.kind === 'word' && t.text.toUpperCase() === word
}

export function isPunct(t: SqlToken | undefined, text: string): boolean {
  return t !== undefined && t.kind === 'punct' && t.text === text
}

/** Index after the `)` matching the `(` at `i` in tokens without spaces. */
export function skipParens(code: readonly SqlToken[], i: number): number {
  let depth = 0
  for (; i < code.length; i++) {
    if (isPunct(code[i], '(')) depth++
    else if (isPunct(code[i], ')') && --depth === 0) return i + 1
  }
  return i
}

/** End offset (exclusive) of a literal opened by `quote` at `i`; a doubled quote escapes itself. */
function skipQuoted(sql: string, i: number, quote: string): number {
  let j = i + 1
  for (;;) {
    const end = sql.indexOf(quote, j)
    if (end < 0) {
      const what = quote === "'" ? 'string literal' : 'quoted identifier'
      throw new SqlLexError(`unterminated ${what} at offset ${i}`)
    }
    if (sql[end + 1] === quote) {
      j = end + 2
      continue
    }
    return end + 1
  }
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9'
}

function isWordStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || c.charCodeAt(0) >= 0x80
}

function isWordChar(c: string): boolean {
  return isWordStart(c) || isDigit(c) || c === '$'
}

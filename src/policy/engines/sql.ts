// The sql engine on D1 (docs/access-policies.md#the-sql-engine): `{{path}}` placeholders become
// numbered binds, only one read-only SELECT (or WITH … SELECT) of the readable tables is accepted
// at save time, the first column of the first row decides, and a query that has not answered
// within SQL_TIMEOUT_MS denies.
import { fail, throwIfIssues } from './errors.ts'
import type { IssueList } from './errors.ts'
import { parsePath, resolvePath } from './path.ts'
import type { RequestPath } from './path.ts'
import {
  identifierName,
  isPunct,
  isWord,
  skipParens,
  SqlLexError,
  tokenizeSql,
} from './sql-lexer.ts'
import type { SqlToken } from './sql-lexer.ts'
import { checkTables } from './sql-tables.ts'

/** A checked query: SQL text with `?1…?N` binds and, for each N, the request path it reads. */
export interface CompiledSql {
  readonly engine: 'sql'
  /** The statement sent to D1: the policy's SELECT wrapped as `SELECT * FROM (…) LIMIT 1`. */
  readonly sql: string
  readonly binds: readonly RequestPath[]
}

/**
 * How long the Worker waits for a policy query before counting the policy as a deny. D1 has no way
 * to cancel a query: it runs on until it ends or reaches D1's own limit.
 */
const SQL_TIMEOUT_MS = 1000

/** Thrown when a policy query has not answered in time: the policy denies. */
class SqlTimeout extends Error {
  constructor(ms: number) {
    super(`the policy query did not answer within ${ms} ms`)
    this.name = 'SqlTimeout'
  }
}

/** D1 accepts at most 100 bound parameters per statement. */
const MAX_BINDS = 100
const MAX_LENGTH = 100_000

/** Words that only occur in statements that write, change the schema or the connection. */
const FORBIDDEN_WORDS = new Set([
  'INSERT',
  'UPDATE',
  'DELETE',
  'REPLACE',
  'UPSERT',
  'MERGE',
  'INTO',
  'RETURNING',
  'CREATE',
  'DROP',
  'ALTER',
  'TRUNCATE',
  'PRAGMA',
  'ATTACH',
  'DETACH',
  'VACUUM',
  'REINDEX',
  'ANALYZE',
  'BEGIN',
  'COMMIT',
  'ROLLBACK',
  'SAVEPOINT',
  'RELEASE',
  'TRANSACTION',
  'LOAD_EXTENSION',
])

/** Identifier prefixes of D1 internals and of pragma table-valued functions. */
const FORBIDDEN_PREFIXES = ['_CF_', 'PRAGMA_', 'SQLITE_']

/**
 * Tables of our schema that policies may not read: the search indexes (`ix_*`, internal and
 * likely to change) and the migrations log. Policies read `resource` and `resource_history`
 * (docs/access-policies.md).
 */
const INTERNAL_TABLE = /^(IX_[A-Z0-9_]*|D1_MIGRATIONS)$/

/**
 * Compiles `sql.query`. Throws PolicyValidationError unless the text is a single read-only SELECT
 * or WITH … SELECT of the readable tables: more than one statement, PRAGMA/ATTACH/DML/DDL anywhere,
 * bind parameters written by hand, unterminated literals or comments, `{{!identifier}}`
 * placeholders, any other table (sql-tables.ts) and recursive CTEs are all rejected.
 */
export function compileSql(sql: string, path = 'sql.query'): CompiledSql {
  const issues: IssueList = []
  const compiled = compileSqlInto(sql, path, issues)
  throwIfIssues(issues)
  return compiled!
}

/** Like `compileSql`, but appends problems to `issues`. */
export function compileSqlInto(
  sql: unknown,
  path: string,
  issues: IssueList
): CompiledSql | undefined {
  if (typeof sql !== 'string' || sql.trim() === '') {
    return fail(issues, path, 'sql.query must be a non-empty string')
  }
  if (sql.length > MAX_LENGTH) {
    return fail(issues, path, `query is longer than ${MAX_LENGTH} characters`)
  }
  let tokens: SqlToken[]
  try {
    tokens = tokenizeSql(sql)
  } catch (e) {
    if (e instanceof SqlLexError) return fail(issues, path, e.message)
    throw e
  }
  const code = tokens.filter((t) => t.kind !== 'space')
  // One optional trailing semicolon (or several) ends the statement; any other one starts a second.
  let end = code.length
  while (end > 0 && isPunct(code[end - 1], ';')) end--
  if (end === 0) return fail(issues, path, 'query has no statement')
  const body = code.slice(0, end)
  const problem = checkReadOnlySelect(body)
  if (problem) return fail(issues, path, problem)

  const binds: RequestPath[] = []
  const numbers = new Map<string, number>()
  let out = ''
  const last = tokens.indexOf(body[body.length - 1]!)
  for (let i = 0; i <= last; i++) {
    const t = tokens[i]!
    if (t.kind !== 'placeholder') {
      out += t.text
      continue
    }
    if (t.text.startsWith('!')) {
      return fail(
        issues,
        path,
        `{{${t.text}}} identifier interpolation is not supported on D1; name tables explicitly`
      )
    }
    let n = numbers.get(t.text)
    if (n === undefined) {
      const parsed = parsePath(t.text)
      if (typeof parsed === 'string' || !/^[^\s'"`;]+$/.test(t.text)) {
        return fail(issues, path, `invalid placeholder {{${t.text}}}`)
      }
      binds.push(parsed)
      n = binds.length
      numbers.set(t.text, n)
    }
    out += `?${n}`
  }
  if (binds.length > MAX_BINDS) {
    return fail(issues, path, `more than ${MAX_BINDS} distinct placeholders`)
  }
  const unreadable = checkTables(body)
  if (unreadable) return fail(issues, path, unreadable)
  return { engine: 'sql', sql: `SELECT * FROM (\n${out.trim()}\n) LIMIT 1`, binds }
}

/**
 * Runs the query with the request's values bound (a missing value binds NULL, an object or array
 * its JSON text, a boolean 1 or 0) and returns whether the first column of the first row is truthy:
 * no row, NULL, 0, '' and the strings '0'/'false' deny; any other value allows (our choice where
 * Aidbox is silent, docs/aidbox.md#where-aidbox-is-silent). D1 errors, and SqlTimeout after
 * `timeoutMs`, propagate; the caller treats them as a deny.
 */
export async function evaluateSql(
  db: D1Database,
  compiled: CompiledSql,
  request: unknown,
  timeoutMs = SQL_TIMEOUT_MS
): Promise<boolean> {
  const values = boundValues(compiled, request)
  const query = db
    .prepare(compiled.sql)
    .bind(...values)
    .raw()
  let timer = 0
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SqlTimeout(timeoutMs)), timeoutMs)
  })
  try {
    const rows = await Promise.race([query, late])
    return isTruthy(rows[0]?.[0])
  } finally {
    clearTimeout(timer)
  }
}

/** The values bound to `?1…?N` for `request` (also shown by POST /auth/test-policy). */
export function boundValues(compiled: CompiledSql, request: unknown): (string | number | null)[] {
  return compiled.binds.map((p) => toBindValue(resolvePath(request, p)))
}

function toBindValue(value: unknown): string | number | null {
  if (value === undefined || value === null) return null
  if (typeof value === 'string') return value
  if (typeof value === 'number') return Number.isFinite(value) ? value : null
  if (typeof value === 'boolean') return value ? 1 : 0
  if (typeof value === 'bigint') return value.toString()
  return JSON.stringify(value) ?? null
}

function isTruthy(value: unknown): boolean {
  if (value === undefined || value === null) return false
  if (typeof value === 'number') return value !== 0 && !Number.isNaN(value)
  if (typeof value === 'bigint') return value !== 0n
  if (typeof value === 'boolean') return value
  if (typeof value === 'string') {
    const s = value.trim().toLowerCase()
    return s !== '' && s !== '0' && s !== 'false'
  }
  if (value instanceof ArrayBuffer) return value.byteLength > 0
  if (Array.isArray(value)) return value.length > 0
  return true
}

/** Returns a reason when `code` (no spaces, no trailing `;`) is not one read-only SELECT. */
function checkReadOnlySelect(code: readonly SqlToken[]): string | undefined {
  let depth = 0
  for (let i = 0; i < code.length; i++) {
    const t = code[i]!
    if (isPunct(t, ';')) return `only one statement is allowed (";" at offset ${t.at})`
    if (isPunct(t, '(')) depth++
    if (isPunct(t, ')') && --depth < 0) return `unbalanced ")" at offset ${t.at}`
    if (t.kind === 'ident') {
      const name = identifierName(t)!.toUpperCase()
      if (FORBIDDEN_PREFIXES.some((p) => name.startsWith(p)) || INTERNAL_TABLE.test(name)) {
        return `${t.text} is not allowed in policy queries`
      }
      continue
    }
    if (t.kind !== 'word') continue
    const word = t.text.toUpperCase()
    // replace(x, y, z) is a function; REPLACE INTO / OR REPLACE are writes.
    const isCall = isPunct(code[i + 1], '(')
    if (FORBIDDEN_WORDS.has(word) && !(word === 'REPLACE' && isCall)) {
      return `${word} is not allowed: the sql engine only runs read-only SELECT queries`
    }
    if (FORBIDDEN_PREFIXES.some((p) => word.startsWith(p))) {
      return `${t.text} is not allowed in policy queries`
    }
    if (INTERNAL_TABLE.test(word)) {
      return `${t.text} is internal; policies may read the resource and resource_history tables`
    }
  }
  if (depth !== 0) return 'unbalanced "("'
  const first = code[0]!.text.toUpperCase()
  if (first === 'SELECT') return undefined
  if (first !== 'WITH' || code[0]!.kind !== 'word') {
    return `only a single SELECT (or WITH … SELECT) statement is allowed, not ${code[0]!.text}`
  }
  const main = skipCommonTableExpressions(code)
  if (main === undefined) return 'malformed WITH clause'
  if (code[main]?.kind !== 'word' || code[main]!.text.toUpperCase() !== 'SELECT') {
    return 'WITH must be followed by a SELECT'
  }
  return undefined
}

/** Index of the token after `WITH [RECURSIVE] name [(cols)] AS [NOT] [MATERIALIZED] (…), …`. */
function skipCommonTableExpressions(code: readonly SqlToken[]): number | undefined {
  let i = 1
  if (isWord(code[i], 'RECURSIVE')) i++
  for (;;) {
    const name = code[i]
    if (!name || (name.kind !== 'word' && name.kind !== 'ident')) return undefined
    i++
    if (isPunct(code[i], '(')) i = skipParens(code, i)
    if (!isWord(code[i], 'AS')) return undefined
    i++
    if (isWord(code[i], 'NOT')) i++
    if (isWord(code[i], 'MATERIALIZED')) i++
    if (!isPunct(code[i], '(')) return undefined
    i = skipParens(code, i)
    if (!isPunct(code[i], ',')) return i
    i++
  }
}

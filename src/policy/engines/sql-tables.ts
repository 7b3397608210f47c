// Which tables a policy query reads (docs/access-policies.md#the-sql-engine): an allowlist, checked
// at save time on every table position of the query (after FROM, JOIN, a comma of a FROM clause,
// and IN), whatever way the name is written: bare, "double", `backtick`, [bracket] or 'single'
// quoted (SQLite reads a string there as a name), in any case, with or without `main.`. Names
// of common table expressions are readable in their scope, but a CTE may not read itself: a
// recursive query can run without end.
import { identifierName, isPunct, isWord, skipParens } from './sql-lexer.ts'
import type { SqlToken } from './sql-lexer.ts'

/** Tables and table-valued functions a policy may read. */
const READABLE = new Set(['RESOURCE', 'RESOURCE_HISTORY', 'JSON_EACH', 'JSON_TREE'])
const READABLE_LIST = 'resource, resource_history, json_each and json_tree'

/** Words that end a FROM clause at its own parenthesis depth. */
const FROM_ENDS = new Set([
  'WHERE',
  'GROUP',
  'HAVING',
  'WINDOW',
  'ORDER',
  'LIMIT',
  'UNION',
  'INTERSECT',
  'EXCEPT',
  'SELECT',
  'VALUES',
])

/** One parenthesis level: whether it is in a FROM clause, the CTEs it declares, the CTE it defines. */
interface Frame {
  from: boolean
  readonly ctes: Set<string>
  readonly defining: string | undefined
}

/** A reason when the query (tokens without spaces) reads anything but READABLE tables. */
export function checkTables(code: readonly SqlToken[]): string | undefined {
  const stack: Frame[] = [{ from: false, ctes: new Set(), defining: undefined }]
  /** CTE bodies: the index of their `(` and the name they define. */
  const bodies = new Map<number, string>()
  let tablePosition = false
  for (let i = 0; i < code.length; i++) {
    const t = code[i]!
    const top = stack[stack.length - 1]!
    const word = t.kind === 'word' ? t.text.toUpperCase() : undefined
    if (tablePosition && word !== 'SELECT' && word !== 'WITH' && word !== 'VALUES') {
      tablePosition = false
      if (isPunct(t, '(')) {
        // A subquery or a parenthesised join: its first token is a table position again.
        stack.push({ from: true, ctes: new Set(), defining: undefined })
        tablePosition = true
        continue
      }
      const qualified = isPunct(code[i + 1], '.')
      const name = qualified ? code[i + 2] : t
      const problem = checkTable(stack, qualified ? t : undefined, name)
      if (problem) return problem
      if (qualified) i += 2
      continue
    }
    tablePosition = false
    if (isPunct(t, '(')) {
      stack.push({ from: false, ctes: new Set(), defining: bodies.get(i) })
    } else if (isPunct(t, ')')) {
      if (stack.length > 1) stack.pop()
    } else if (isPunct(t, ',')) {
      tablePosition = top.from
    } else if (word === 'FROM') {
      // `a IS [NOT] DISTINCT FROM b` compares values.
      if (code[i - 1]?.text.toUpperCase() === 'DISTINCT') continue
      top.from = true
      tablePosition = true
    } else if (word === 'JOIN') {
      tablePosition = true
    } else if (word === 'IN') {
      // `x IN table` and `x IN json_each(…)` read a table; `x IN (…)` is a list or a subquery.
      tablePosition = !isPunct(code[i + 1], '(')
    } else if (word === 'WITH') {
      const problem = declareCommonTables(code, i, top.ctes, bodies)
      if (problem) return problem
    } else if (word !== undefined && FROM_ENDS.has(word)) {
      top.from = false
    }
  }
  if (tablePosition) return 'the query ends where a table name is expected'
  return undefined
}

function checkTable(
  stack: readonly Frame[],
  schema: SqlToken | undefined,
  token: SqlToken | undefined
): string | undefined {
  const name = token && identifierName(token)
  if (name === undefined) {
    return `expected a table name at offset ${token?.at ?? 'end'}; ${READABLE_LIST} may be read`
  }
  const key = asciiUpper(name)
  if (schema) {
    const schemaName = identifierName(schema)
    if (schemaName === undefined || asciiUpper(schemaName) !== 'MAIN') {
      return `${schema.text}.${token!.text}: only tables of the main schema may be read`
    }
  } else {
    for (let k = stack.length - 1; k >= 0; k--) {
      if (stack[k]!.defining === key) {
        return `${token!.text} reads itself: recursive queries are not allowed (they can run without end)`
      }
      if (stack[k]!.ctes.has(key)) return undefined
    }
  }
  if (READABLE.has(key)) return undefined
  return `${token!.text} is not readable: policies may read ${READABLE_LIST}`
}

/**
 * Reads `WITH [RECURSIVE] name [(cols)] AS [NOT] [MATERIALIZED] (…), …` at `at`: adds each name
 * to `ctes` and records where its body starts.
 */
function declareCommonTables(
  code: readonly SqlToken[],
  at: number,
  ctes: Set<string>,
  bodies: Map<number, string>
): string | undefined {
  let i = at + 1
  if (isWord(code[i], 'RECURSIVE')) i++
  for (;;) {
    const name = code[i] && identifierName(code[i]!)
    if (name === undefined) return 'malformed WITH clause'
    i++
    if (isPunct(code[i], '(')) i = skipParens(code, i)
    if (!isWord(code[i], 'AS')) return 'malformed WITH clause'
    i++
    if (isWord(code[i], 'NOT')) i++
    if (isWord(code[i], 'MATERIALIZED')) i++
    if (!isPunct(code[i], '(')) return 'malformed WITH clause'
    ctes.add(asciiUpper(name))
    bodies.set(i, asciiUpper(name))
    i = skipParens(code, i)
    if (!isPunct(code[i], ',')) return undefined
    i++
  }
}

/** SQLite folds the case of names for ASCII letters only. */
function asciiUpper(name: string): string {
  return name.replace(/[a-z]+/g, (s) => s.toUpperCase())
}

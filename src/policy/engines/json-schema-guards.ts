// Bounds what a compiled json-schema can cost on request data (docs/access-policies.md#limits).
// @cfworker/json-schema runs `pattern`, `patternProperties` and `format` with native, backtracking
// RegExps, and `format: url` is exponential in the string's length. On the validator's private copy
// of the schema: each `pattern` runs on the linear-time regex engine (through a `format` hook, since
// both keywords test strings only), each known `format` runs only on strings up to MAX_REGEX_INPUT
// and spends the budget, `url` is refused, `patternProperties` keys must be free of repetition
// (they still run natively), and every subschema the validator enters spends the budget.
import { format as formats } from '@cfworker/json-schema'
import { EvaluationBudget, SUBSCHEMA_STEPS } from './budget.ts'
import { fail } from './errors.ts'
import type { IssueList } from './errors.ts'
import { isObject } from './path.ts'
import { compilePatternRegex, MAX_REGEX_INPUT, RegexInputTooLong } from './regex.ts'
import type { PolicyRegex } from './regex.ts'
import { parseRegex } from './regex-syntax.ts'
import type { RegexNode } from './regex-syntax.ts'

/**
 * Formats whose @cfworker/json-schema validator is super-linear in the string's length: `url`
 * backtracks exponentially (28 characters take seconds). Every other format it ships was measured
 * linear up to 32,000 characters.
 */
const REFUSED_FORMATS: Record<string, string> = {
  url: 'its validator takes exponential time on some strings (ReDoS); use "uri" or a pattern',
}

/** Most ways a `patternProperties` regex may match at one position (it runs natively). */
const MAX_NATIVE_PATHS = 64

/** Prefix of the format names this module registers; a schema may not use it itself. */
const HOOK = '\u0000edge-fhir:'

let active: EvaluationBudget | undefined

/** Runs `validate` with `budget` as the one the hooks and subschema counters spend from. */
export function withBudget<T>(budget: EvaluationBudget, validate: () => T): T {
  const outer = active
  active = budget
  try {
    return validate()
  } finally {
    active = outer
  }
}

function budget(): EvaluationBudget {
  return active ?? new EvaluationBudget()
}

/**
 * Rewrites every schema node the validator can enter (the values of `lookup`, from
 * `dereference`) and reports refused keywords under `path`. Returns false if any were refused.
 */
export function guardSchema(
  lookup: Record<string, unknown>,
  path: string,
  issues: IssueList
): boolean {
  const before = issues.length
  const seen = new Set<object>()
  for (const [uri, node] of Object.entries(lookup)) {
    if (!isObject(node) || seen.has(node)) continue
    seen.add(node)
    const at = path + pointerPath(uri)
    guardFormat(node, at, issues)
    guardPattern(node, at, issues)
    guardPatternProperties(node, at, issues)
  }
  if (issues.length > before) return false
  for (const node of seen) countEntries(node as Record<string, unknown>)
  return true
}

function guardPattern(node: Record<string, unknown>, at: string, issues: IssueList): void {
  // Beside a $ref, draft-07 ignores every other keyword.
  if (typeof node.pattern !== 'string' || node.$ref !== undefined) return
  let regex: PolicyRegex
  try {
    regex = compilePatternRegex(node.pattern)
  } catch (e) {
    fail(issues, `${at}.pattern`, `invalid pattern: ${(e as Error).message}`)
    return
  }
  const key = `${HOOK}pattern:${regex.source}`
  formats[key] ??= (s) => regex.test(s, budget())
  delete node.pattern
  if (node.format === undefined) node.format = key
  else node.allOf = [...(Array.isArray(node.allOf) ? node.allOf : []), { format: key }]
}

function guardFormat(node: Record<string, unknown>, at: string, issues: IssueList): void {
  const name = node.format
  if (typeof name !== 'string' || node.$ref !== undefined) return
  if (name.startsWith(HOOK)) {
    fail(issues, `${at}.format`, 'this format name is reserved')
    return
  }
  const refused = Object.hasOwn(REFUSED_FORMATS, name) ? REFUSED_FORMATS[name] : undefined
  if (refused) {
    fail(issues, `${at}.format`, `format "${name}" is not supported in policies: ${refused}`)
    return
  }
  if (!Object.hasOwn(formats, name)) return // unknown formats are ignored, as draft-07 says
  const check = formats[name]!
  const key = `${HOOK}format:${name}`
  formats[key] ??= (s) => {
    if (s.length > MAX_REGEX_INPUT) throw new RegexInputTooLong(s.length)
    budget().spend(1 + s.length)
    return check(s)
  }
  node.format = key
}

function guardPatternProperties(node: Record<string, unknown>, at: string, issues: IssueList) {
  if (!isObject(node.patternProperties) || node.$ref !== undefined) return
  for (const source of Object.keys(node.patternProperties)) {
    let paths: number
    try {
      paths = nativePaths(parseRegex(source))
    } catch (e) {
      paths = Infinity
      fail(issues, `${at}.patternProperties`, `invalid pattern: ${(e as Error).message}`)
      continue
    }
    if (paths > MAX_NATIVE_PATHS) {
      fail(
        issues,
        `${at}.patternProperties`,
        `the patternProperties regex ${JSON.stringify(source)} may not repeat (*, +, ?, {n,m}) ` +
          `or have more than ${MAX_NATIVE_PATHS} alternatives: object keys are matched by the ` +
          'native, backtracking regex engine; use a prefix such as "^x-" or propertyNames'
      )
    }
  }
}

/** How many ways the regex can match at one position; Infinity if it repeats anything. */
function nativePaths(n: RegexNode): number {
  switch (n.t) {
    case 'char':
    case 'assert':
      return 1
    case 'look':
      return nativePaths(n.node)
    case 'seq':
      return n.items.reduce((product, item) => product * nativePaths(item), 1)
    case 'alt':
      return n.items.reduce((sum, item) => sum + nativePaths(item), 0)
    case 'repeat':
      return Infinity
  }
}

/** Makes each entry into `node` by the validator (it reads `$ref` first) spend the budget. */
function countEntries(node: Record<string, unknown>): void {
  const own = Object.getOwnPropertyDescriptor(node, '$ref')
  const value: unknown = own?.value
  Object.defineProperty(node, '$ref', {
    get() {
      budget().spend(SUBSCHEMA_STEPS)
      return value
    },
    enumerable: own?.enumerable ?? false,
    configurable: true,
  })
}

/** `https://…#/properties/a/anyOf/0` → `.properties.a.anyOf[0]`; other URIs → ''. */
function pointerPath(uri: string): string {
  const hash = uri.indexOf('#/')
  if (hash < 0) return ''
  return uri
    .slice(hash + 2)
    .split('/')
    .map((s) => safeDecode(s).replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((s) => (/^\d+$/.test(s) ? `[${s}]` : `.${s}`))
    .join('')
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

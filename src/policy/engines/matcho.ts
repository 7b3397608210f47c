// The matcho engine: Aidbox's pattern DSL (docs/access-policies.md#matcho), compiled once into a
// small node tree and matched against the request object without allocating on the hot path. Every
// node visited and every deep-equality step spends the evaluation budget.
import { EvaluationBudget } from './budget.ts'
import { childPath, fail, throwIfIssues } from './errors.ts'
import type { IssueList } from './errors.ts'
import { isObject, ownValue, parsePath, resolvePath } from './path.ts'
import { toReference, valueEquals } from './matcho-values.ts'
import type { RequestPath } from './path.ts'
import { compileMatchoRegex } from './regex.ts'
import type { PolicyRegex } from './regex.ts'

type Scalar = string | number | boolean

/** One compiled pattern node. `t` is the discriminant; the tree is immutable once built. */
type Node =
  | { readonly t: 'eq'; readonly v: Scalar }
  | { readonly t: 'nil' }
  | { readonly t: 'present' }
  | { readonly t: 'notBlank' }
  | { readonly t: 're'; readonly re: PolicyRegex }
  | { readonly t: 'ref'; readonly path: RequestPath }
  | { readonly t: 'obj'; readonly keys: readonly string[]; readonly nodes: readonly Node[] }
  | { readonly t: 'arr'; readonly nodes: readonly Node[] }
  | { readonly t: 'enum'; readonly values: ReadonlySet<Scalar> }
  | { readonly t: 'oneOf'; readonly nodes: readonly Node[] }
  | { readonly t: 'contains'; readonly node: Node }
  | { readonly t: 'every'; readonly node: Node }
  | { readonly t: 'not'; readonly node: Node }
  | { readonly t: 'reference'; readonly node: Node }
  | { readonly t: 'presentAll'; readonly nodes: readonly Node[] }
  | { readonly t: 'length'; readonly n: number }
  | { readonly t: 'all'; readonly nodes: readonly Node[] }

/** A compiled matcho pattern. Opaque: build with `compileMatcho`, use with `matches`. */
export interface CompiledMatcho {
  readonly engine: 'matcho'
  readonly node: Node
}

/** Deepest pattern nesting accepted, so a hostile pattern cannot exhaust the stack. */
const MAX_DEPTH = 64

const OPERATORS = new Set([
  '$enum',
  '$one-of',
  '$contains',
  '$every',
  '$not',
  '$reference',
  '$present-all',
  '$length',
])

/**
 * Compiles a matcho pattern. Throws PolicyValidationError listing every problem: a bad `#regex`,
 * a bad `.path`, `$one-of` sharing its object with other keys, an unknown `$` operator, a wrong
 * operand shape.
 */
export function compileMatcho(pattern: unknown, path = 'matcho'): CompiledMatcho {
  const issues: IssueList = []
  const compiled = compileMatchoInto(pattern, path, issues)
  throwIfIssues(issues)
  return compiled!
}

/** Like `compileMatcho`, but appends problems to `issues` (returns undefined if there were any). */
export function compileMatchoInto(
  pattern: unknown,
  path: string,
  issues: IssueList
): CompiledMatcho | undefined {
  const before = issues.length
  const node = compileNode(pattern, path, issues, 0)
  if (node === undefined || issues.length > before) return undefined
  return { engine: 'matcho', node }
}

/**
 * Whether `subject` matches the pattern. `.path` references resolve against `context`, which is the
 * subject itself for AccessPolicies (the whole request object); the `$matcho` debug endpoint passes
 * a separate context. Throws BudgetExceeded when `budget` runs out, RegexInputTooLong for a
 * `#regex` on a string over the limit: both mean deny.
 */
export function matches(
  compiled: CompiledMatcho,
  subject: unknown,
  context: unknown = subject,
  budget: EvaluationBudget = new EvaluationBudget()
): boolean {
  return match(compiled.node, subject, context, budget)
}

function compileNode(p: unknown, path: string, issues: IssueList, depth: number): Node | undefined {
  if (depth > MAX_DEPTH) return fail(issues, path, `pattern is nested deeper than ${MAX_DEPTH}`)
  if (p === null) return { t: 'nil' }
  switch (typeof p) {
    case 'string':
      return compileString(p, path, issues)
    case 'boolean':
      return { t: 'eq', v: p }
    case 'number':
      if (!Number.isFinite(p)) return fail(issues, path, 'numbers must be finite')
      return { t: 'eq', v: p }
    case 'object':
      if (Array.isArray(p)) {
        const nodes = compileList(p, path, issues, depth)
        return nodes && { t: 'arr', nodes }
      }
      return compileObject(p as Record<string, unknown>, path, issues, depth)
    default:
      return fail(issues, path, `unsupported pattern value of type ${typeof p}`)
  }
}

function compileString(p: string, path: string, issues: IssueList): Node | undefined {
  if (p === 'present?') return { t: 'present' }
  if (p === 'nil?') return { t: 'nil' }
  if (p === 'not-blank?') return { t: 'notBlank' }
  if (p.startsWith('#')) {
    try {
      return { t: 're', re: compileMatchoRegex(p.slice(1)) }
    } catch (e) {
      return fail(issues, path, `invalid regex "${p}": ${(e as Error).message}`)
    }
  }
  if (p.startsWith('.')) {
    const parsed = parsePath(p.slice(1))
    if (typeof parsed === 'string') return fail(issues, path, `invalid reference "${p}": ${parsed}`)
    return { t: 'ref', path: parsed }
  }
  return { t: 'eq', v: p }
}

function compileList(
  list: readonly unknown[],
  path: string,
  issues: IssueList,
  depth: number
): Node[] | undefined {
  const nodes: Node[] = []
  let ok = true
  for (let i = 0; i < list.length; i++) {
    const node = compileNode(list[i], childPath(path, i), issues, depth + 1)
    if (node === undefined) ok = false
    else nodes.push(node)
  }
  return ok ? nodes : undefined
}

function compileObject(
  p: Record<string, unknown>,
  path: string,
  issues: IssueList,
  depth: number
): Node | undefined {
  const keys = Object.keys(p)
  if (keys.includes('$one-of') && keys.length > 1) {
    const others = keys.filter((k) => k !== '$one-of').join(', ')
    return fail(
      issues,
      path,
      `$one-of must not share an object with other keys (${others}); ` +
        'put shared constraints inside each alternative'
    )
  }
  const plainKeys: string[] = []
  const plainNodes: Node[] = []
  const ops: Node[] = []
  let ok = true
  for (const key of keys) {
    const at = childPath(path, key)
    const value = p[key]
    let node: Node | undefined
    if (key.startsWith('$')) {
      if (!OPERATORS.has(key)) {
        fail(issues, at, `unknown operator ${key}; expected one of ${[...OPERATORS].join(', ')}`)
        ok = false
        continue
      }
      node = compileOperator(key, value, at, issues, depth)
      if (node) ops.push(node)
    } else {
      node = compileNode(value, at, issues, depth + 1)
      if (node) {
        plainKeys.push(key)
        plainNodes.push(node)
      }
    }
    if (node === undefined) ok = false
  }
  if (!ok) return undefined
  // Plain keys first (one object check), then the operators; all must hold.
  const nodes: Node[] = []
  if (plainKeys.length > 0 || ops.length === 0) {
    nodes.push({ t: 'obj', keys: plainKeys, nodes: plainNodes })
  }
  nodes.push(...ops)
  return nodes.length === 1 ? nodes[0] : { t: 'all', nodes }
}

function compileOperator(
  op: string,
  value: unknown,
  path: string,
  issues: IssueList,
  depth: number
): Node | undefined {
  switch (op) {
    case '$enum': {
      if (!Array.isArray(value) || value.length === 0) {
        return fail(issues, path, '$enum needs a non-empty array of strings, numbers or booleans')
      }
      const values = new Set<Scalar>()
      for (let i = 0; i < value.length; i++) {
        const v: unknown = value[i]
        const finite = typeof v !== 'number' || Number.isFinite(v)
        if ((typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') && finite) {
          values.add(v)
        } else {
          const at = childPath(path, i)
          return fail(issues, at, '$enum values must be strings, numbers or booleans')
        }
      }
      return { t: 'enum', values }
    }
    case '$one-of':
    case '$present-all': {
      if (!Array.isArray(value) || value.length === 0) {
        return fail(issues, path, `${op} needs a non-empty array of patterns`)
      }
      const nodes = compileList(value, path, issues, depth)
      if (!nodes) return undefined
      return op === '$one-of' ? { t: 'oneOf', nodes } : { t: 'presentAll', nodes }
    }
    case '$length':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
        return fail(issues, path, '$length needs a non-negative integer')
      }
      return { t: 'length', n: value }
    default: {
      // $contains, $every, $not, $reference take one pattern.
      if (value === undefined) return fail(issues, path, `${op} needs a pattern`)
      const node = compileNode(value, path, issues, depth + 1)
      if (!node) return undefined
      if (op === '$contains') return { t: 'contains', node }
      if (op === '$every') return { t: 'every', node }
      if (op === '$not') return { t: 'not', node }
      return { t: 'reference', node }
    }
  }
}

function match(node: Node, x: unknown, ctx: unknown, budget: EvaluationBudget): boolean {
  budget.spend(1)
  switch (node.t) {
    case 'eq':
      return x === node.v
    case 'nil':
      return x === undefined || x === null
    case 'present':
      return x !== undefined && x !== null
    case 'notBlank':
      return typeof x === 'string' && x.trim() !== ''
    case 're':
      // Over MAX_REGEX_INPUT this throws: the policy errors and denies, even under `$not`.
      return typeof x === 'string' && node.re.test(x, budget)
    case 'ref':
      // Both sides missing compare equal: Aidbox's documented trap
      // (docs/access-policies.md#the-aidbox-traps-reproduced).
      return valueEquals(resolvePath(ctx, node.path), x, 0, budget)
    case 'obj': {
      if (!isObject(x)) return false
      const { keys, nodes } = node
      for (let i = 0; i < keys.length; i++) {
        if (!match(nodes[i]!, ownValue(x, keys[i]!), ctx, budget)) return false
      }
      return true
    }
    case 'arr': {
      if (!Array.isArray(x)) return false
      const { nodes } = node
      for (let i = 0; i < nodes.length; i++) {
        if (!match(nodes[i]!, x[i], ctx, budget)) return false
      }
      return true
    }
    case 'enum':
      return (
        (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') &&
        node.values.has(x)
      )
    case 'oneOf':
    case 'all': {
      const any = node.t === 'oneOf'
      for (const n of node.nodes) {
        if (match(n, x, ctx, budget) === any) return any
      }
      return !any
    }
    case 'contains':
      return Array.isArray(x) && someMatches(node.node, x, ctx, budget)
    case 'every': {
      if (!Array.isArray(x)) return false
      for (let i = 0; i < x.length; i++) {
        if (!match(node.node, x[i], ctx, budget)) return false
      }
      return true
    }
    case 'not':
      // A missing value does not match the inner pattern, so `$not` passes: Aidbox's documented
      // trap (docs/access-policies.md#the-aidbox-traps-reproduced).
      return !match(node.node, x, ctx, budget)
    case 'reference':
      return match(node.node, toReference(x), ctx, budget)
    case 'presentAll': {
      if (!Array.isArray(x)) return false
      for (const n of node.nodes) {
        if (!someMatches(n, x, ctx, budget)) return false
      }
      return true
    }
    case 'length':
      return Array.isArray(x) && x.length === node.n
  }
}

function someMatches(
  node: Node,
  list: readonly unknown[],
  ctx: unknown,
  budget: EvaluationBudget
): boolean {
  for (let i = 0; i < list.length; i++) {
    if (match(node, list[i], ctx, budget)) return true
  }
  return false
}

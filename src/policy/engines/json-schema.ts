// The json-schema engine (docs/aidbox.md#engines): the request object must validate against a
// draft-07 schema. The schema is checked against the draft-07 meta-schema and compiled once, at
// save time; json-schema-guards.ts bounds what it can cost on request data, and the validator reads
// the request through a view that spends the evaluation budget (docs/access-policies.md#limits).
import { Validator, dereference } from '@cfworker/json-schema'
import type { OutputUnit, Schema } from '@cfworker/json-schema'
import { EvaluationBudget } from './budget.ts'
import { budgetedView } from './budgeted-view.ts'
import { DRAFT_07_META_SCHEMA } from './draft-07.ts'
import { fail, throwIfIssues } from './errors.ts'
import type { IssueList } from './errors.ts'
import { guardSchema, withBudget } from './json-schema-guards.ts'
import { isObject } from './path.ts'

/** A compiled json-schema rule. */
export interface CompiledJsonSchema {
  readonly engine: 'json-schema'
  readonly validator: Validator
}

/** How many meta-schema errors to report for one schema. */
const MAX_REPORTED = 5
const DRAFT_07_URI = /^https?:\/\/json-schema\.org\/draft-07\/schema#?$/

let metaValidator: Validator | undefined

/** Compiles `schema`; throws PolicyValidationError when it is not a valid draft-07 schema. */
export function compileJsonSchema(schema: unknown, path = 'schema'): CompiledJsonSchema {
  const issues: IssueList = []
  const compiled = compileJsonSchemaInto(schema, path, issues)
  throwIfIssues(issues)
  return compiled!
}

/** Like `compileJsonSchema`, but appends problems to `issues`. */
export function compileJsonSchemaInto(
  schema: unknown,
  path: string,
  issues: IssueList
): CompiledJsonSchema | undefined {
  if (!isObject(schema)) return fail(issues, path, 'schema must be a JSON Schema object')
  const declared = schema.$schema
  if (declared !== undefined && !(typeof declared === 'string' && DRAFT_07_URI.test(declared))) {
    return fail(issues, `${path}.$schema`, 'only JSON Schema draft-07 is supported')
  }
  metaValidator ??= new Validator(DRAFT_07_META_SCHEMA, '7', false)
  const meta = metaValidator.validate(schema)
  if (!meta.valid) {
    for (const e of leafErrors(meta.errors).slice(0, MAX_REPORTED)) {
      const at = path + e.instanceLocation.slice(1).replaceAll('/', '.')
      fail(issues, at, `invalid JSON Schema: ${e.error}`)
    }
    return undefined
  }
  // The library annotates the schema object it is given; keep the stored policy untouched.
  const copy = structuredClone(schema) as Schema
  let validator: Validator
  let lookup: Record<string, unknown>
  try {
    lookup = dereference(copy)
    validator = new Validator(copy, '7', true)
  } catch (e) {
    return fail(issues, path, `invalid JSON Schema: ${(e as Error).message}`)
  }
  const unresolved = findUnresolvedRef(copy, lookup, 0)
  if (unresolved !== undefined) {
    return fail(issues, path, `invalid JSON Schema: $ref "${unresolved}" cannot be resolved`)
  }
  if (!guardSchema(lookup, path, issues)) return undefined
  return { engine: 'json-schema', validator }
}

/**
 * Whether `request` validates. Throws BudgetExceeded when `budget` runs out, RegexInputTooLong when
 * a pattern or format meets a string over the limit (both mean deny), and if the request holds
 * non-JSON values (e.g. undefined).
 */
export function evaluateJsonSchema(
  compiled: CompiledJsonSchema,
  request: unknown,
  budget: EvaluationBudget = new EvaluationBudget()
): boolean {
  const view = budgetedView(request, budget)
  return withBudget(budget, () => compiled.validator.validate(view).valid)
}

/** Keywords whose errors only wrap the errors of their subschemas. */
const WRAPPERS = new Set([
  'properties',
  'additionalProperties',
  'patternProperties',
  'dependencies',
  'propertyNames',
  '$ref',
  'allOf',
  'items',
  'additionalItems',
  'contains',
])

/** The meta-schema errors worth showing: no wrappers, and not the failed branches of an `anyOf`. */
function leafErrors(errors: readonly OutputUnit[]): OutputUnit[] {
  const branches = errors.filter((e) => e.keyword === 'anyOf').map((e) => e.keywordLocation + '/')
  const leaves = errors.filter(
    (e) => !WRAPPERS.has(e.keyword) && !branches.some((b) => e.keywordLocation.startsWith(b))
  )
  return leaves.length > 0 ? leaves : errors.slice(-1)
}

/**
 * The first `$ref` (as written) whose target is not inside the schema; the engine loads nothing.
 */
function findUnresolvedRef(
  node: unknown,
  lookup: Record<string, unknown>,
  depth: number
): string | undefined {
  if (node === null || typeof node !== 'object' || depth > 256) return undefined
  if (Array.isArray(node)) {
    for (const item of node) {
      const found = findUnresolvedRef(item, lookup, depth + 1)
      if (found !== undefined) return found
    }
    return undefined
  }
  const target = (node as { __absolute_ref__?: string }).__absolute_ref__
  if (target !== undefined && lookup[target] === undefined) return String((node as Schema).$ref)
  for (const value of Object.values(node)) {
    const found = findUnresolvedRef(value, lookup, depth + 1)
    if (found !== undefined) return found
  }
  return undefined
}

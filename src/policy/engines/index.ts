// AccessPolicy engines as pure functions (docs/aidbox.md#engines): compile a stored policy once
// (save time, with every problem reported), then evaluate the compiled form against each request's
// object.
import { EvaluationBudget } from './budget.ts'
import { compileComplexInto, evaluateComplexAsync, evaluateComplexSync } from './complex.ts'
import { childPath, fail, throwIfIssues } from './errors.ts'
import type { IssueList } from './errors.ts'
import { compileJsonSchemaInto, evaluateJsonSchema } from './json-schema.ts'
import { compileMatchoInto, matches } from './matcho.ts'
import { isObject } from './path.ts'
import { compileSqlInto, evaluateSql } from './sql.ts'
import type {
  AccessPolicyInput,
  CompiledPolicy,
  EvaluationContext,
  PolicyRequest,
} from './types.ts'

export { BudgetExceeded, EvaluationBudget } from './budget.ts'
export { PolicyValidationError } from './errors.ts'
export type { PolicyIssue } from './errors.ts'
export { compileJsonSchema, evaluateJsonSchema } from './json-schema.ts'
export { pruneEmpty } from './prune.ts'
export type {
  AccessPolicyInput,
  CompiledPolicy,
  EvaluationContext,
  PolicyRequest,
} from './types.ts'

/** Engines this module evaluates. */
const SUPPORTED_ENGINES = ['allow', 'matcho', 'json-schema', 'sql', 'complex'] as const

/** Aidbox engines that exist but are not implemented here (RPC, SMART, deprecated clj). */
const UNSUPPORTED_ENGINES = new Set([
  'allow-rpc',
  'matcho-rpc',
  'signed-rpc',
  'smart-on-fhir',
  'clj',
])

/**
 * Validates and compiles an AccessPolicy's engine fields: `engine` and its body (`matcho`,
 * `schema`, `sql.query`, `and`/`or`). Throws PolicyValidationError listing every issue (unknown or
 * unsupported engine, missing body, bad pattern/schema/query, nested rule errors with their paths).
 */
export function compilePolicy(policy: AccessPolicyInput): CompiledPolicy {
  const issues: IssueList = []
  const compiled = compileRule(policy, '', issues, 0)
  throwIfIssues(issues)
  return compiled!
}

function compileRule(
  rule: unknown,
  path: string,
  issues: IssueList,
  depth: number
): CompiledPolicy | undefined {
  if (!isObject(rule)) return fail(issues, path, 'a policy rule must be an object')
  const engine = rule.engine
  const enginePath = childPath(path, 'engine')
  if (engine === undefined || engine === null || engine === '') {
    return fail(issues, enginePath, `engine is required (one of ${SUPPORTED_ENGINES.join(', ')})`)
  }
  if (typeof engine !== 'string') return fail(issues, enginePath, 'engine must be a string')
  switch (engine) {
    case 'allow':
      return { engine: 'allow', sync: true }
    case 'matcho': {
      const at = childPath(path, 'matcho')
      if (!isObject(rule.matcho)) return fail(issues, at, 'engine matcho needs a "matcho" object')
      const matcho = compileMatchoInto(rule.matcho, at, issues)
      return matcho && { engine: 'matcho', sync: true, matcho }
    }
    case 'json-schema': {
      const at = childPath(path, 'schema')
      if (rule.schema === undefined) return fail(issues, at, 'engine json-schema needs a "schema"')
      const schema = compileJsonSchemaInto(rule.schema, at, issues)
      return schema && { engine: 'json-schema', sync: true, schema }
    }
    case 'sql': {
      const at = childPath(path, 'sql')
      if (!isObject(rule.sql)) return fail(issues, at, 'engine sql needs "sql": {"query": "…"}')
      const sql = compileSqlInto(rule.sql.query, childPath(at, 'query'), issues)
      return sql && { engine: 'sql', sync: false, sql }
    }
    case 'complex':
      return compileComplexInto(rule, path, issues, depth, compileRule)
    default:
      if (UNSUPPORTED_ENGINES.has(engine)) {
        return fail(issues, enginePath, `engine ${engine} is not supported by this server`)
      }
      return fail(
        issues,
        enginePath,
        `unknown engine "${engine}"; expected one of ${SUPPORTED_ENGINES.join(', ')}`
      )
  }
}

/**
 * Evaluates a compiled policy against the (pruned) request object. `ctx.db` is needed only by
 * `sql`. An engine that throws (a D1 error or timeout, a missing `ctx.db`, a non-JSON value in the
 * request, the evaluation budget running out, a regex on an over-long string) rejects the promise:
 * the caller must log the policy id and count the policy as a deny. Policies without sql
 * (`compiled.sync`) are evaluated synchronously inside this single async call. The whole
 * evaluation, nested rules included, spends one budget: `ctx.budget`, or a fresh one.
 */
export async function evaluatePolicy(
  compiled: CompiledPolicy,
  request: PolicyRequest,
  ctx: EvaluationContext = {}
): Promise<boolean> {
  const budget = ctx.budget ?? new EvaluationBudget()
  return compiled.sync
    ? evaluatePolicySync(compiled, request, budget)
    : evaluateAsync(compiled, request, { ...ctx, budget })
}

/**
 * Evaluates a policy that contains no sql rule (`compiled.sync === true`) without a promise.
 * Throws if given a policy that needs the database; exceptions mean deny, as for `evaluatePolicy`.
 */
export function evaluatePolicySync(
  compiled: CompiledPolicy,
  request: PolicyRequest,
  budget: EvaluationBudget = new EvaluationBudget()
): boolean {
  switch (compiled.engine) {
    case 'allow':
      return true
    case 'matcho':
      return matches(compiled.matcho, request, request, budget)
    case 'json-schema':
      return evaluateJsonSchema(compiled.schema, request, budget)
    case 'complex':
      if (!compiled.sync) break
      return evaluateComplexSync(compiled, request, budget, evaluatePolicySync)
    case 'sql':
      break
  }
  throw new Error('this policy runs sql; use evaluatePolicy with a database')
}

async function evaluateAsync(
  compiled: CompiledPolicy,
  request: PolicyRequest,
  ctx: EvaluationContext & { budget: EvaluationBudget }
): Promise<boolean> {
  if (compiled.sync) return evaluatePolicySync(compiled, request, ctx.budget)
  if (compiled.engine === 'sql') {
    if (!ctx.db) throw new Error('the sql engine needs ctx.db (a D1 database)')
    return evaluateSql(ctx.db, compiled.sql, request, ctx.sqlTimeoutMs)
  }
  return evaluateComplexAsync(compiled, request, ctx, evaluatePolicySync, evaluateAsync)
}

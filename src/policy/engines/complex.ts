// The complex engine (docs/aidbox.md#engines): `and` / `or` lists of nested rules, each with its
// own engine. `and` stops at the first false rule, `or` at the first true one; rules run top to
// bottom.
import type { EvaluationBudget } from './budget.ts'
import { childPath, fail } from './errors.ts'
import type { IssueList } from './errors.ts'
import type {
  AccessPolicyInput,
  CompiledComplex,
  CompiledPolicy,
  EvaluationContext,
  PolicyRequest,
} from './types.ts'

/** Compiles one nested rule (injected by index.ts, which owns the engine dispatch). */
export type CompileRule = (
  rule: unknown,
  path: string,
  issues: IssueList,
  depth: number
) => CompiledPolicy | undefined

/** Deepest nesting of complex rules accepted. */
const MAX_COMPLEX_DEPTH = 16

/**
 * Validates and compiles a complex rule: exactly one of `and` / `or` (both at one level is an
 * error, as in Aidbox), holding a non-empty array of rules: an empty `and` would allow everything
 * (our choice where Aidbox is silent, docs/aidbox.md#where-aidbox-is-silent).
 */
export function compileComplexInto(
  policy: AccessPolicyInput,
  path: string,
  issues: IssueList,
  depth: number,
  compileRule: CompileRule
): CompiledComplex | undefined {
  const hasAnd = policy.and !== undefined
  const hasOr = policy.or !== undefined
  if (hasAnd && hasOr) {
    // Reported at the second list, so the answer's `expression` names a field.
    const at = childPath(path, 'or')
    return fail(issues, at, 'complex policy must not have both "and" and "or" at the same level')
  }
  if (!hasAnd && !hasOr) return fail(issues, path, 'complex policy needs "and" or "or"')
  if (depth >= MAX_COMPLEX_DEPTH) {
    return fail(issues, path, `complex rules are nested deeper than ${MAX_COMPLEX_DEPTH}`)
  }
  const op = hasAnd ? 'and' : 'or'
  const list = policy[op]
  const at = childPath(path, op)
  if (!Array.isArray(list) || list.length === 0) {
    return fail(issues, at, `"${op}" must be a non-empty array of rules`)
  }
  const rules: CompiledPolicy[] = []
  let ok = true
  list.forEach((rule: unknown, i) => {
    const compiled = compileRule(rule, childPath(at, i), issues, depth + 1)
    if (compiled) rules.push(compiled)
    else ok = false
  })
  if (!ok) return undefined
  return { engine: 'complex', op, rules, sync: rules.every((r) => r.sync) }
}

type EvaluateSync = (
  rule: CompiledPolicy,
  request: PolicyRequest,
  budget: EvaluationBudget
) => boolean

/** Evaluates a complex rule whose rules are all synchronous; the rules share one budget. */
export function evaluateComplexSync(
  compiled: CompiledComplex,
  request: PolicyRequest,
  budget: EvaluationBudget,
  evaluateRule: EvaluateSync
): boolean {
  const stopOn = compiled.op === 'or'
  for (const rule of compiled.rules) {
    budget.spend(1)
    if (evaluateRule(rule, request, budget) === stopOn) return stopOn
  }
  return !stopOn
}

/** Evaluates a complex rule that contains sql rules; synchronous rules are not awaited. */
export async function evaluateComplexAsync<
  Ctx extends EvaluationContext & { budget: EvaluationBudget },
>(
  compiled: CompiledComplex,
  request: PolicyRequest,
  ctx: Ctx,
  evaluateRuleSync: EvaluateSync,
  evaluateRuleAsync: (rule: CompiledPolicy, request: PolicyRequest, ctx: Ctx) => Promise<boolean>
): Promise<boolean> {
  const stopOn = compiled.op === 'or'
  for (const rule of compiled.rules) {
    ctx.budget.spend(1)
    const result = rule.sync
      ? evaluateRuleSync(rule, request, ctx.budget)
      : await evaluateRuleAsync(rule, request, ctx)
    if (result === stopOn) return stopOn
  }
  return !stopOn
}

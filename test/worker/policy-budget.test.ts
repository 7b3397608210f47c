// The evaluation budget (docs/access-policies.md#limits): every engine spends from one budget per
// evaluation, complex rules share it, a caller may share it across policies, and running out
// throws BudgetExceeded, which evaluatePolicy turns into a rejection (a deny for the caller).
import { describe, expect, it } from 'vitest'
import {
  BudgetExceeded,
  compilePolicy,
  evaluatePolicy,
  EvaluationBudget,
} from '../../src/policy/engines/index.ts'

const request = { 'request-method': 'get', uri: '/fhir/Patient', params: { a: '1', b: '2' } }
const matcho = { engine: 'matcho', matcho: { params: { a: '1', b: '2' } } }

/** Steps one evaluation of `policy` spends on `request`. */
async function cost(policy: Record<string, unknown>): Promise<number> {
  const budget = new EvaluationBudget()
  await evaluatePolicy(compilePolicy(policy), request, { budget })
  return budget.spent
}

describe('the evaluation budget (docs/access-policies.md#limits)', () => {
  it('is spent by matcho, json-schema and complex evaluation', async () => {
    expect(await cost(matcho)).toBeGreaterThan(0)
    const schema = {
      engine: 'json-schema',
      schema: { properties: { params: { required: ['a'] } } },
    }
    expect(await cost(schema)).toBeGreaterThan(0)
    const both = { engine: 'complex', and: [matcho, schema] }
    expect(await cost(both)).toBeGreaterThan((await cost(matcho)) + (await cost(schema)))
  })

  it('denies (rejects with BudgetExceeded) a policy that needs more than its budget', async () => {
    const steps = await cost(matcho)
    const compiled = compilePolicy(matcho)
    const enough = new EvaluationBudget(steps)
    expect(await evaluatePolicy(compiled, request, { budget: enough })).toBe(true)
    const short = new EvaluationBudget(steps - 1)
    await expect(evaluatePolicy(compiled, request, { budget: short })).rejects.toThrow(
      BudgetExceeded
    )
  })

  it('is shared by the rules of a complex policy', async () => {
    const steps = await cost(matcho)
    const twice = compilePolicy({ engine: 'complex', and: [matcho, matcho] })
    const budget = new EvaluationBudget(steps + 1)
    await expect(evaluatePolicy(twice, request, { budget })).rejects.toThrow(BudgetExceeded)
  })

  it('may be shared across policies by the caller, and is fresh per evaluation otherwise', async () => {
    const compiled = compilePolicy(matcho)
    const shared = new EvaluationBudget((await cost(matcho)) * 2)
    expect(await evaluatePolicy(compiled, request, { budget: shared })).toBe(true)
    expect(await evaluatePolicy(compiled, request, { budget: shared })).toBe(true)
    await expect(evaluatePolicy(compiled, request, { budget: shared })).rejects.toThrow(
      BudgetExceeded
    )
    for (let i = 0; i < 3; i++) expect(await evaluatePolicy(compiled, request)).toBe(true)
  })
})

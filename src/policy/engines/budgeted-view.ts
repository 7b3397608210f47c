// A read-only view of a JSON value that spends the evaluation budget on every read, for code whose
// loops we do not control (the json-schema validator): reading a property, testing one, or listing
// an object's keys (per key) costs DATA_READ_STEPS, and a string one more step per 64 characters,
// so the work a validator can do on request data is bounded by the budget
// (docs/access-policies.md#limits).
import { DATA_READ_STEPS } from './budget.ts'
import type { EvaluationBudget } from './budget.ts'

/** `value` itself when it is a primitive; otherwise a Proxy that charges `budget` for each read. */
export function budgetedView(value: unknown, budget: EvaluationBudget): unknown {
  const views = new WeakMap<object, object>()
  const view = (v: unknown): unknown => {
    if (typeof v === 'string') {
      budget.spend(v.length >> 6)
      return v
    }
    if (v === null || typeof v !== 'object') return v
    let proxy = views.get(v)
    if (!proxy) views.set(v, (proxy = new Proxy(v, handler)))
    return proxy
  }
  const handler: ProxyHandler<object> = {
    get(target, key) {
      budget.spend(DATA_READ_STEPS)
      return view(Reflect.get(target, key))
    },
    has(target, key) {
      budget.spend(DATA_READ_STEPS)
      return Reflect.has(target, key)
    },
    ownKeys(target) {
      const keys = Reflect.ownKeys(target)
      let cost = DATA_READ_STEPS
      for (const key of keys) {
        cost += DATA_READ_STEPS + (typeof key === 'string' ? key.length >> 6 : 0)
      }
      budget.spend(cost)
      return keys
    },
  }
  return value !== null && typeof value === 'object' ? view(value) : value
}

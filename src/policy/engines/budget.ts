// The evaluation budget of one AccessPolicy evaluation (docs/access-policies.md#limits): every
// engine step (a matcho node, a deep-equality step, a json-schema subschema or data read, a regex
// state on a character) spends from it, and a policy that runs out throws, so it denies.

/**
 * Steps one policy evaluation may take. A step is the cheapest unit of work (a matcho node, a
 * deep-equality step, one regex state on one character: 10–40 ns in V8); dearer units cost
 * several steps, so that running out takes about 20 ms whatever the engine.
 */
const EVALUATION_STEPS = 250_000

/** One entry of the json-schema validator into a subschema (about 1 µs). */
export const SUBSCHEMA_STEPS = 32

/** One read of request data through the json-schema validator's budgeted view (about 0.5 µs). */
export const DATA_READ_STEPS = 16

/** Thrown when an evaluation runs out of steps: the caller counts the policy as a deny. */
export class BudgetExceeded extends Error {
  constructor(limit: number) {
    super(`the policy took more than ${limit} evaluation steps`)
    this.name = 'BudgetExceeded'
  }
}

/** A step counter shared by everything one evaluation runs (nested complex rules included). */
export class EvaluationBudget {
  readonly limit: number
  private left: number

  constructor(limit = EVALUATION_STEPS) {
    this.limit = limit
    this.left = limit
  }

  /** Steps spent so far. */
  get spent(): number {
    return this.limit - this.left
  }

  /** Spends `steps`; throws BudgetExceeded once the total is over the limit. */
  spend(steps: number): void {
    this.left -= steps
    if (this.left < 0) throw new BudgetExceeded(this.limit)
  }
}

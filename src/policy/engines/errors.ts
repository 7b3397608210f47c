// Save-time validation errors of AccessPolicy engines: one error type carrying every issue found,
// each with the path of the offending field, so the API can answer 400 with a precise
// OperationOutcome (docs/access-policies.md#validation-when-saved).

/**
 * One problem found in an AccessPolicy, e.g. `{ path: 'matcho.uri', message: 'invalid regex …' }`.
 */
export interface PolicyIssue {
  /** Dot path of the field inside the policy (`and[1].sql.query`); empty for the policy itself. */
  readonly path: string
  readonly message: string
}

/** Thrown by the compile functions when a policy cannot be compiled. Lists every issue found. */
export class PolicyValidationError extends Error {
  readonly issues: readonly PolicyIssue[]

  constructor(issues: readonly PolicyIssue[]) {
    super(
      'Invalid AccessPolicy: ' +
        issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')
    )
    this.name = 'PolicyValidationError'
    this.issues = issues
  }
}

/** Collects issues during one compile pass. */
export type IssueList = PolicyIssue[]

/** Appends an issue; returns `undefined` so compile helpers can `return fail(...)`. */
export function fail(issues: IssueList, path: string, message: string): undefined {
  issues.push({ path, message })
  return undefined
}

/** Throws a PolicyValidationError if any issue was collected. */
export function throwIfIssues(issues: IssueList): void {
  if (issues.length > 0) throw new PolicyValidationError(issues)
}

/** Joins a parent path and a key the way issue paths are written (`a.b`, `a[0]`). */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`
  return parent ? `${parent}.${key}` : key
}

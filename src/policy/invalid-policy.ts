// An AccessPolicy that does not compile, as the 400 OperationOutcome the admin API and the debug
// endpoints answer: one issue per problem, each naming the offending field in `expression`.

import { FhirError } from '../errors/outcome.ts'
import type { PolicyValidationError } from './engines/index.ts'

/** 400 with one issue per problem; `prefix` places the policy inside a larger body (`policy`). */
export function invalidPolicy(err: PolicyValidationError, prefix = ''): FhirError {
  return new FhirError(
    400,
    err.issues.map(({ path, message }) => {
      const at = prefix && path ? `${prefix}.${path}` : prefix || path
      return {
        severity: 'error' as const,
        code: 'invalid' as const,
        diagnostics: `Invalid AccessPolicy: ${at ? `${at}: ` : ''}${message}`,
        ...(at ? { expression: [at] } : {}),
      }
    })
  )
}

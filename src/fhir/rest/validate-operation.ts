// The $validate operation (R4 resource-operation-validate): validates a resource against the R4 base
// definitions (src/fhir/validation/) and answers 200 with an OperationOutcome listing every problem,
// or one `informational` issue when there is none. Writes nothing, reads nothing stored.
//   POST [base]/[type]/$validate   a resource of [type], or Parameters with a `resource` parameter
//   POST [base]/$validate          a resource of any type, or such Parameters
// Parameters may also carry `mode` (create, update, delete: all validate the resource as given);
// `profile` is refused (400 not-supported): only the base definitions are known.

import { badRequest, FhirError, operationOutcome, type OutcomeIssue } from '../../errors/outcome.ts'
import { document, type FhirCall, type FhirResult } from '../call.ts'
import { validateResource } from '../validation/validate.ts'

const MODES = ['create', 'update', 'delete']

/** The resource a $validate request names: the body itself, or Parameters' `resource`. */
function resourceOf(body: unknown, type: string | undefined): unknown {
  const isObject = (value: unknown): value is Record<string, unknown> =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
  if (!isObject(body)) throw badRequest('The body must be a resource or a Parameters resource')
  if (body.resourceType !== 'Parameters' || type === 'Parameters') return body
  const parameters = Array.isArray(body.parameter) ? body.parameter.filter(isObject) : []
  for (const parameter of parameters) {
    if (parameter.name === 'profile') {
      throw new FhirError(400, {
        severity: 'error',
        code: 'not-supported',
        diagnostics: 'Validation against profiles is not supported: only the R4 base definitions',
        expression: ['Parameters.parameter'],
      })
    }
    if (parameter.name === 'mode' && !MODES.includes(String(parameter.valueCode))) {
      throw badRequest(`mode must be one of ${MODES.join(', ')}`, ['Parameters.parameter'])
    }
  }
  const resources = parameters.filter((p) => p.name === 'resource')
  if (resources.length !== 1 || !isObject(resources[0]!.resource)) {
    throw badRequest('Parameters must have exactly one parameter "resource" with a resource', [
      'Parameters.parameter',
    ])
  }
  return resources[0]!.resource
}

/** The validator's problems with `resource` as OperationOutcome issues (none when it is valid). */
function validationIssues(resource: unknown): OutcomeIssue[] {
  return validateResource(resource).map((issue) => ({
    severity: issue.severity,
    code: issue.code,
    diagnostics: issue.diagnostics,
    expression: [issue.expression],
  }))
}

/** 400 with every problem of `resource` unless it is valid (every write, before anything is written). */
export function checkValid(resource: Record<string, unknown>): void {
  const issues = validationIssues(resource)
  if (issues.length) throw new FhirError(400, issues)
}

export async function validateOperation(call: FhirCall): Promise<FhirResult> {
  const type = call.params.type
  const resource = resourceOf(await call.body(), type) as Record<string, unknown>
  const issues = validationIssues(resource)
  if (type !== undefined && resource.resourceType !== type) {
    issues.unshift({
      severity: 'error',
      code: 'invalid',
      diagnostics: `The resource is a ${String(resource.resourceType)}, not a ${type}`,
      expression: ['Resource.resourceType'],
    })
  }
  if (!issues.length) {
    issues.push({
      severity: 'information',
      code: 'informational',
      diagnostics: 'The resource is valid against the FHIR R4 base definitions',
    })
  }
  return document(JSON.stringify(operationOutcome(...issues)))
}

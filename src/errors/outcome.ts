// OperationOutcome builders and the FhirError that carries one (FHIR R4 operationoutcome.html).
// Every FHIR and admin endpoint answers errors with an OperationOutcome; the status travels with it.

export type IssueSeverity = 'fatal' | 'error' | 'warning' | 'information'

/** The subset of the R4 IssueType value set this server uses. */
export type IssueCode =
  | 'invalid'
  | 'structure'
  | 'required'
  | 'value'
  | 'invariant'
  | 'code-invalid'
  | 'security'
  | 'login'
  | 'forbidden'
  | 'not-supported'
  | 'not-found'
  | 'deleted'
  | 'conflict'
  | 'duplicate'
  | 'too-costly'
  | 'throttled'
  | 'too-long'
  | 'processing'
  | 'exception'
  | 'informational'

export interface OutcomeIssue {
  severity: IssueSeverity
  code: IssueCode
  diagnostics?: string
  expression?: string[]
}

export interface OperationOutcome {
  resourceType: 'OperationOutcome'
  issue: OutcomeIssue[]
}

export function operationOutcome(...issues: OutcomeIssue[]): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: issues }
}

/** An error answered as an OperationOutcome with `status` (and optional extra headers). */
export class FhirError extends Error {
  readonly status: number
  readonly outcome: OperationOutcome
  readonly headers: Record<string, string>

  constructor(
    status: number,
    issue: OutcomeIssue | OutcomeIssue[],
    headers: Record<string, string> = {}
  ) {
    const issues = Array.isArray(issue) ? issue : [issue]
    super(issues.map((i) => i.diagnostics ?? i.code).join('; '))
    this.name = 'FhirError'
    this.status = status
    this.outcome = operationOutcome(...issues)
    this.headers = headers
  }
}

const error = (code: IssueCode, diagnostics: string, expression?: string[]): OutcomeIssue =>
  expression
    ? { severity: 'error', code, diagnostics, expression }
    : { severity: 'error', code, diagnostics }

export const badRequest = (diagnostics: string, expression?: string[]) =>
  new FhirError(400, error('invalid', diagnostics, expression))
export const notFound = (diagnostics: string) => new FhirError(404, error('not-found', diagnostics))
export const gone = (diagnostics: string) => new FhirError(410, error('deleted', diagnostics))
export const conflict = (diagnostics: string) => new FhirError(409, error('conflict', diagnostics))
export const preconditionFailed = (diagnostics: string) =>
  new FhirError(412, error('conflict', diagnostics))
export const forbidden = (diagnostics: string) =>
  new FhirError(403, error('forbidden', diagnostics))
export const unsupportedMediaType = (diagnostics: string) =>
  new FhirError(415, error('not-supported', diagnostics))
export const notAcceptable = (diagnostics: string) =>
  new FhirError(406, error('not-supported', diagnostics))
export const tooLarge = (diagnostics: string) => new FhirError(413, error('too-long', diagnostics))
/** 429 (RFC 6585 §4) with Retry-After in seconds (RFC 9110 §10.2.3). */
export const tooManyRequests = (diagnostics: string, retryAfterSeconds: number) =>
  new FhirError(429, error('throttled', diagnostics), { 'Retry-After': String(retryAfterSeconds) })

// Types shared by the AccessPolicy engines: the request object policies see, the policy as stored,
// and the compiled form that the pipeline caches and evaluates.
import type { EvaluationBudget } from './budget.ts'
import type { CompiledJsonSchema } from './json-schema.ts'
import type { CompiledMatcho } from './matcho.ts'
import type { CompiledSql } from './sql.ts'

/**
 * Aidbox's request object (docs/aidbox.md#request-object): `request-method` (lower case), `uri`,
 * `query-string`, `params`, `headers` (lower-case names), `body`, `resource`, `client`, `user`,
 * `jwt`, `operation`… Empty values are expected to have been removed with `pruneEmpty` before
 * evaluation.
 */
export type PolicyRequest = Record<string, unknown>

/**
 * The engine fields of an AccessPolicy (docs/aidbox.md#accesspolicy-fields). Other fields (link,
 * roleName…) are ignored.
 */
export interface AccessPolicyInput {
  engine?: unknown
  matcho?: unknown
  schema?: unknown
  sql?: unknown
  and?: unknown
  or?: unknown
  [field: string]: unknown
}

/**
 * What evaluation may need besides the request: the D1 database for the `sql` engine; the budget to
 * spend (a fresh one per evaluation by default; pass one to share it across several policies);
 * how long to wait for a sql query (SQL_TIMEOUT_MS by default).
 */
export interface EvaluationContext {
  db?: D1Database
  budget?: EvaluationBudget
  sqlTimeoutMs?: number
}

/**
 * A validated, compiled policy. `sync` is true when no `sql` rule occurs anywhere inside it, so it
 * can be evaluated without awaiting (see `evaluatePolicySync`).
 */
export type CompiledPolicy =
  | { readonly engine: 'allow'; readonly sync: true }
  | { readonly engine: 'matcho'; readonly sync: true; readonly matcho: CompiledMatcho }
  | { readonly engine: 'json-schema'; readonly sync: true; readonly schema: CompiledJsonSchema }
  | { readonly engine: 'sql'; readonly sync: false; readonly sql: CompiledSql }
  | CompiledComplex

/**
 * `complex`: `and` stops at the first false rule, `or` at the first true one
 * (docs/aidbox.md#engines).
 */
export interface CompiledComplex {
  readonly engine: 'complex'
  readonly sync: boolean
  readonly op: 'and' | 'or'
  readonly rules: readonly CompiledPolicy[]
}

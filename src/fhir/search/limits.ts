// The limits of a search, in one place (docs/search.md "Limits"). Two kinds. What D1 accepts in one
// statement, measured in workerd's D1 (test/worker/search-limits.test.ts keeps checking them): the SQL
// builders stay inside these by construction (nested unions, balanced AND/OR trees, value lists as
// JSON). And what a request may ask for, checked when it is parsed: beyond them the answer is a 400
// OperationOutcome (`too-costly`) naming the parameter, chosen with a wide margin below what D1 still
// runs, so that a search within them never fails on a D1 limit.

import { FhirError } from '../../errors/outcome.ts'

/** D1: bound parameters per statement (`?1` .. `?100`); binder.ts passes the rest as one JSON array. */
export const D1_MAX_BINDS = 100
/** D1: SELECTs in one compound (`a UNION ALL b ...`); longer unions are nested (filter-sql.ts). */
export const D1_MAX_COMPOUND = 5
/** D1: bytes of SQL text in one statement. */
export const D1_MAX_SQL_BYTES = 100_000

/** Search parameters (filters) in one search, each repetition, chain and `_has` counting as one. */
export const MAX_PARAMETERS = 40
/** Comma-separated (OR-ed) values of one parameter. */
export const MAX_VALUES = 100
/** Values of all the search parameters of one search together. */
export const MAX_TOTAL_VALUES = 400
/**
 * Values whose seek no index narrows (a quantity without a unit, `system|`, `:contains`): each reads
 * every value of its parameter, about 115,000 index rows for Observation.value-quantity at 100k
 * resources, unless D1 has statistics that let it skip-scan.
 */
export const MAX_UNINDEXED_VALUES = 5
/** Keys of `_sort`. */
export const MAX_SORT_KEYS = 8
/** `_include` and `_revinclude` parameters together. */
export const MAX_INCLUDES = 16
/**
 * Resource types that chains and `_has` go through in one search, over all their levels: each is
 * one more inner search in the statement. `subject.name` goes through every target type of `subject`
 * that has a `name` (3 for Observation), `subject:Patient.organization.name` through 2.
 */
export const MAX_CHAIN_HOPS = 16
/** Longest chain: `subject:Patient.organization.partof.name` is three hops; `_has` counts as one. */
export const MAX_CHAIN_DEPTH = 3
/** Largest `_count` (larger values are capped, not refused). */
export const MAX_COUNT = 1000
/** Counts stop here: a larger total is not given (every counted row is a billed read). */
export const TOTAL_CAP = 10_000
/** Included resources per page at most; beyond that the Bundle says it stopped. */
export const MAX_INCLUDED = 1000
/** Levels of `:iterate` after the first. */
export const MAX_ITERATE = 3

/** The 400 for a search beyond one of these limits, naming the parameters concerned. */
export function tooCostly(diagnostics: string, expression: string[]): FhirError {
  const issue = { severity: 'error', code: 'too-costly', diagnostics } as const
  return new FhirError(400, expression.length ? { ...issue, expression } : issue)
}

// The parsed form of a search (R4 search.html): filters that are AND-ed (each a repeated parameter or
// one parameter occurrence whose comma-separated values are OR-ed), and the result controls. Built by
// parse.ts, compiled to SQL by cond*.ts, plan.ts and sort.ts.

import type { SearchParamDef } from '../index/types.ts'

export type Prefix = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb' | 'ap'

/** A token value: `system` undefined means any system; '' means "no system" (`|code`). */
export interface TokenValue {
  system?: string
  code?: string
}

/**
 * One date, number or quantity comparison. For dates [lo, hi] is the search value's range in epoch
 * ms; for numbers [lo, hi) is the range its precision implies and `q` the value as written.
 */
export interface RangeTest {
  prefix: Prefix
  q: number
  lo: number
  hi: number
}

/** A quantity value: the number test and the units (`code` matches a stored code or unit). */
export interface QuantityTest extends RangeTest {
  system?: string
  code?: string
}

/** A composite value: the first component's token key and a test on the last component. */
export interface CompositeTest {
  key: string
  last: LastTest
}

/** A test on the last component of a composite (the columns of ix_composite). */
export type LastTest =
  | { kind: 'token'; value: TokenValue }
  | { kind: 'string'; norm: string }
  | { kind: 'uri'; value: string }
  | { kind: 'reference'; targets: string[] }
  | { kind: 'date'; test: RangeTest }
  | { kind: 'number'; test: RangeTest }
  | { kind: 'quantity'; test: QuantityTest }

/**
 * A filter on one parameter. `sps` are the index ids it reads, one per searched type (system search
 * can search several types); `ranges` hold OR-ed alternatives, each an AND of tests (two date
 * parameters that bound one range, `ge` and `lt`, are one alternative with two tests).
 */
export type Filter =
  | { kind: 'id'; values: string[] }
  | { kind: 'lastUpdated'; ranges: RangeTest[][] }
  /** `:missing`; `sps` empty for a parameter every resource has (`_id`, `_lastUpdated`). */
  | { kind: 'missing'; sps: number[]; missing: boolean }
  | { kind: 'token'; sps: number[]; values: TokenValue[]; not: boolean; rank: number }
  | { kind: 'text'; sps: number[]; values: string[] }
  | { kind: 'string'; sps: number[]; mode: 'prefix' | 'exact' | 'contains'; values: string[] }
  | { kind: 'date'; sps: number[]; ranges: RangeTest[][] }
  | { kind: 'number'; sps: number[]; tests: RangeTest[] }
  | { kind: 'quantity'; sps: number[]; tests: QuantityTest[] }
  | { kind: 'reference'; sps: number[]; targets: string[] }
  | { kind: 'uri'; sps: number[]; mode: 'eq' | 'below' | 'above'; values: string[] }
  | { kind: 'composite'; sps: number[]; tests: CompositeTest[] }
  | { kind: 'chain'; sps: number[]; hops: { type: string; inner: Filter }[] }
  | { kind: 'has'; type: string; sps: number[]; targetType: string; inner: Filter }
  /**
   * OR of alternatives, each an AND of filters, optionally only for resources of some `types`:
   * granular scope restrictions (restrict.ts), never parsed from a query.
   */
  | { kind: 'anyOf'; alternatives: Alternative[] }

/** One alternative of an `anyOf`: resources (of `types`, when given) matching every filter of `all`. */
export interface Alternative {
  types?: readonly string[]
  all: readonly Filter[]
}

/**
 * A granular scope restriction as a filter, parsed for `types` (one, or every type that shares the
 * same restrictions, as those of a `*` scope do: its parameter ids then cover them all, so wherever
 * it is applied the resource's type is tested too).
 */
export interface Restriction {
  filter: Filter
  types: readonly string[]
}

/** Per type, the restriction every resource of that type that a search reads must match. */
export type RestrictionFilters = ReadonlyMap<string, Restriction>

/** A filter with the parameter as written (for the self link). */
export interface AppliedFilter {
  name: string
  raw: string
  filter: Filter
}

/** A `_sort` key: a search parameter, or one of the resource columns `_id` / `_lastUpdated`. */
export interface SortKey {
  name: string
  desc: boolean
  column?: 'id' | 'last_updated'
  /** The parameter's definitions, one per searched type (same code and type). */
  defs: SearchParamDef[]
}

/** `_include` / `_revinclude`: reference parameters of `source`, optionally only to `target`. */
export interface IncludeSpec {
  raw: string
  iterate: boolean
  source: string
  sps: number[]
  target?: string
  /** The types it may bring in (its target, or its parameters' declared targets); undefined: any. */
  targets: readonly string[] | undefined
}

/** A position in the result order: after (or before) the row with these sort keys and pk. */
export interface Cursor {
  before: boolean
  pk: number
  /** Sort key values, null where the resource has no value. */
  keys: (string | number | null)[]
}

export type SummaryMode = 'true' | 'text' | 'data' | 'count' | 'false'

export interface SearchRequest {
  /** The searched types: one for a type search, several for a system search. */
  types: string[]
  filters: AppliedFilter[]
  count: number
  sort: SortKey[]
  total: 'none' | 'estimate' | 'accurate'
  summary?: SummaryMode
  elements?: string[]
  include: IncludeSpec[]
  revinclude: IncludeSpec[]
  cursor?: Cursor
  /** Result parameters as applied, in order (for the self link), besides the filters. */
  controls: [string, string][]
  /** Parameters that were not applied, with why. */
  ignored: { name: string; reason: string }[]
  /**
   * Granular scope restrictions by type (restrict.ts): a resource of a type named here is matched,
   * included, revincluded or traversed by a chain or `_has` only when it matches its filter.
   */
  restrictions?: RestrictionFilters
  /** Fixed candidate-set threshold instead of plan.ts's estimate (tests force one plan or the other). */
  setLimit?: number
}

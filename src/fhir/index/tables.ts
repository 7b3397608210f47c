// The catalogue of the search index in D1 (migrations/0001_schema.sql, 0002_search.sql): each index
// table's name, its value columns (between `sp` and the owning `pk`, in IndexRows' field order), its
// by-resource (pk, sp) index and its partial indexes, the sort-key columns per parameter type, and
// the resource-table indexes that searches name. Storage writes and search reads take every index
// table, column and index name from here; none of them ever comes from a request.

import type { IndexRows, SearchParamType } from './types.ts'

/** A kind of index row, which is also the key of its table here. */
export type IndexKind = keyof IndexRows

/** The row of one index kind (without the owning pk). */
export type IndexRow<K extends IndexKind = IndexKind> = IndexRows[K][number]

/** The value columns of a kind: every field of its row except `sp`. */
export type ValueColumn<K extends IndexKind> = Exclude<keyof IndexRow<K>, 'sp'> & string

export interface IndexTable<K extends IndexKind = IndexKind> {
  name: string
  /** The value columns after `sp` (then `pk`), in IndexRows' field order. */
  columns: readonly ValueColumn<K>[]
  /** The by-resource index (pk, sp ...): probes and sort keys seek through it. */
  byPk?: string
  /** ix_date's (sp, hi, lo) index and its partial index of long values. */
  byHi?: string
  long?: string
  /** The partial index of interval values (ix_number, ix_quantity). */
  intervals?: string
}

export const INDEX_TABLES = {
  token: { name: 'ix_token', columns: ['code', 'system'], byPk: 'ix_token_pk' },
  tokenText: { name: 'ix_token_text', columns: ['norm'] },
  string: { name: 'ix_string', columns: ['norm', 'exact'], byPk: 'ix_string_pk' },
  date: {
    name: 'ix_date',
    columns: ['lo', 'hi'],
    byPk: 'ix_date_pk',
    // (sp, hi, lo): ranges bounded on `hi`, descending sorts; partial (sp, lo) of values >= LONG_DATE_MS.
    byHi: 'ix_date_hi',
    long: 'ix_date_long',
  },
  number: {
    name: 'ix_number',
    columns: ['v', 'lo', 'hi'],
    byPk: 'ix_number_pk',
    // Partial (sp, lo) index of the interval values (lo < hi: a Range or a comparator).
    intervals: 'ix_number_iv',
  },
  quantity: {
    name: 'ix_quantity',
    columns: ['code', 'system', 'v', 'lo', 'hi'],
    byPk: 'ix_quantity_pk',
    intervals: 'ix_quantity_iv',
  },
  ref: { name: 'ix_ref', columns: ['target'], byPk: 'ix_ref_pk' },
  uri: { name: 'ix_uri', columns: ['uri'], byPk: 'ix_uri_pk' },
  composite: { name: 'ix_composite', columns: ['key', 'a', 'b', 'v', 'lo', 'hi'] },
} as const satisfies { [K in IndexKind]: IndexTable<K> }

/** Every kind, in the order writes visit the tables. */
export const INDEX_KINDS = Object.keys(INDEX_TABLES) as IndexKind[]

/** Date values at least this long (ms) are in the partial index `ix_date_long`. */
export const LONG_DATE_MS = 86_400_000

/** Indexes of the `resource` table that searches name (INDEXED BY). */
export const RESOURCE_INDEXES = {
  /** (type): one type's rows in pk order. */
  byType: 'resource_type_pk',
  /** (type, last_updated, pk): `_lastUpdated` ranges and sorts. */
  byTypeUpdated: 'resource_type_updated',
} as const

type Table = { name: string; columns: readonly string[] }

/** `alias.column` for each column of `table`, `sp` and `pk` included. */
export type Qualified<T extends Table> = {
  readonly [C in T['columns'][number] | 'sp' | 'pk']: string
}

/** The columns of `table` under `alias`, as SQL: `at(INDEX_TABLES.token, 'x').code` is `x.code`. */
export function at<T extends Table>(table: T, alias: string): Qualified<T> {
  const out: Record<string, string> = { sp: `${alias}.sp`, pk: `${alias}.pk` }
  for (const c of table.columns) out[c] = `${alias}.${c}`
  return out as Qualified<T>
}

/** Where `_sort` reads a parameter type's keys: a resource's lowest value ascending, highest descending. */
export interface SortKeyIndex {
  table: Table & { byPk: string }
  /** Column holding the key, ascending and descending. */
  asc: string
  desc: string
  /** Index to walk in key order (undefined: the table's primary key), ascending and descending. */
  walkAsc?: string
  walkDesc?: string
  /** Columns that order a resource's rows, so a walk emits each resource at its first row only. */
  tieAsc: readonly string[]
  tieDesc: readonly string[]
  /** False when the primary key does not start with (sp, key): no walk in key order. */
  walkable: boolean
}

function sortKey(
  table: Table & { byPk: string },
  key: string,
  tie: readonly string[],
  walkable = true
): SortKeyIndex {
  return { table, asc: key, desc: key, tieAsc: tie, tieDesc: tie, walkable }
}

const T = INDEX_TABLES

export const SORT_KEYS: Partial<Record<SearchParamType, SortKeyIndex>> = {
  date: {
    ...sortKey(T.date, 'lo', ['lo', 'hi']),
    desc: 'hi',
    walkDesc: T.date.byHi,
    tieDesc: ['hi', 'lo'],
  },
  string: sortKey(T.string, 'norm', ['norm', 'exact']),
  token: sortKey(T.token, 'code', ['code', 'system']),
  reference: sortKey(T.ref, 'target', ['target']),
  uri: sortKey(T.uri, 'uri', ['uri']),
  number: sortKey(T.number, 'v', ['v']),
  // ix_quantity is keyed by unit before value: no walk in value order.
  quantity: sortKey(T.quantity, 'v', ['v'], false),
}

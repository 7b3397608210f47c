// Planned writes as plain data: what one write changes, in the schema's words (migrations/0001_schema.sql).
// Planners (plan-write.ts, index-rows.ts, rest/writes.ts) build these lists without a database, so a
// plan can be checked as a value; commit.ts is the one place that turns them into SQL statements and
// runs them as one db.batch(). Index rows are IndexRows' objects; their table and columns come from the
// catalogue (index/tables.ts) when committed.

import type { IndexKind } from '../index/tables.ts'
import type { IndexRows } from '../index/types.ts'

/** The interaction that wrote a version (resource_history.method). */
export type WriteMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/**
 * The resource row an op belongs to: its pk when the row exists before the batch, else the type and
 * id of the resource an `insertResource` op of the same batch creates.
 */
export type ResourceRef = { pk: number } | { type: string; id: string }

/** A new resource row (version 1, or the first version at an id); UNIQUE (type, id) guards it. */
export interface InsertResource {
  kind: 'insertResource'
  type: string
  id: string
  version: number
  lastUpdated: number
  /** The stored JSON text. */
  body: string
  /** `,sp,sp,`: the search parameters with a value (for `:missing`). */
  present: string
}

/** A new live version of an existing resource row, written only if it is still at `expectedVersion`. */
export interface UpdateResource {
  kind: 'updateResource'
  pk: number
  expectedVersion: number
  version: number
  lastUpdated: number
  body: string
  present: string
}

/** A delete version of an existing resource row (its last body kept), if still at `expectedVersion`. */
export interface MarkDeleted {
  kind: 'markDeleted'
  pk: number
  expectedVersion: number
  version: number
  lastUpdated: number
}

/**
 * A version in resource_history. For an existing resource it is the optimistic lock: its primary key
 * (pk, version) fails the batch when another writer took the version first.
 */
export interface InsertHistory {
  kind: 'insertHistory'
  resource: ResourceRef
  type: string
  id: string
  version: number
  lastUpdated: number
  method: WriteMethod
  /** The stored JSON text; null for a delete. */
  body: string | null
}

/** Index rows of one table to add for a resource. */
export type InsertIndexRows = {
  [K in IndexKind]: { kind: 'insertIndexRows'; table: K; resource: ResourceRef; rows: IndexRows[K] }
}[IndexKind]

/** Index rows of one table to remove from an existing resource. */
export type DeleteIndexRows = {
  [K in IndexKind]: { kind: 'deleteIndexRows'; table: K; pk: number; rows: IndexRows[K] }
}[IndexKind]

/**
 * A condition of the whole batch: no current resource of `type` may match the criteria `match`
 * tests (a conditional create's If-None-Exist, a conditional update that found no match;
 * R4 http.html#ccreate). `match` is a SELECT that returns a row when one matches, with its bound
 * parameters, as the search compiler builds it (search/find.ts `matchQuery`). Checked before
 * every other statement of the batch, so it sees what other writers committed, not this batch.
 */
export interface RequireNoMatch {
  kind: 'requireNoMatch'
  type: string
  match: { sql: string; params: readonly unknown[] }
}

/** One step of a planned write. */
export type WriteOp =
  | InsertResource
  | UpdateResource
  | MarkDeleted
  | InsertHistory
  | InsertIndexRows
  | DeleteIndexRows
  | RequireNoMatch

// The write interactions of one request (or one batch entry): read the current row, plan, commit as
// one batch. The version check is part of the batch (the history key), so with If-Match a writer that
// lost the race answers 412 at once; without it the write is re-read and retried a few times. A write
// under `patient/` scopes is checked on the row it reads and the version it plans (`check`,
// compartment-writes.ts), conditional forms too: their criteria resolve to one resource, checked alike.

import { commit } from '../storage/commit.ts'
import { nextTimestamp } from '../storage/plan-write.ts'
import { readResource, type StoredRow } from '../storage/resources.ts'
import { MatchConflict, WriteConflict } from '../storage/write-conflict.ts'
import type { WriteOp } from '../storage/write-ops.ts'
import { matchQuery } from '../search/find.ts'
import { badRequest, conflict, notFound, preconditionFailed } from '../../errors/outcome.ts'
import { checkCreateBody, checkFhirId, checkUpdateBody } from '../resource-input.ts'
import { criteria, ifNoneExistCriteria, matchOne } from './conditional.ts'
import type { WriteCheck } from './compartment-writes.ts'
import type { SearchAccess } from './search-access.ts'
import type { PatchOperation } from './json-patch.ts'
import type { RestResult } from './result.ts'
import {
  currentVersion,
  planCreate,
  planDelete,
  planPatch,
  planUpdate,
  type Plan,
} from './writes.ts'

/** Reads and writes tried per write without If-Match before answering 409. */
const MAX_WRITE_ATTEMPTS = 10
/** Times a conditional create searches again after a match appeared before its commit (then 409). */
const MAX_MATCH_ATTEMPTS = 3

/** The guard that commits a create only if `query` still matches no current `type` (http.html#ccreate). */
const noMatch = (type: string, query: URLSearchParams): WriteOp => ({
  kind: 'requireNoMatch',
  type,
  match: matchQuery(type, query),
})

/**
 * Runs a conditional interaction again from its search when its create lost the race to another
 * request's matching create (MatchConflict): the next run finds that match.
 */
async function untilNoRace(what: string, run: () => Promise<RestResult>): Promise<RestResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run()
    } catch (err) {
      if (!(err instanceof MatchConflict)) throw err
      if (attempt === MAX_MATCH_ATTEMPTS) {
        throw conflict(
          `Resources matching ${what} are being created by other requests at the same time; try again`
        )
      }
    }
  }
}

export interface WriteOptions {
  ifMatch?: string
  /** The current row when the caller already read it (a batch reads its entries' rows at once). */
  current?: StoredRow | null
  /** What the caller's grant limits the write to (compartment-writes.ts); none: not limited. */
  check?: WriteCheck
}

/** A conditional interaction's options: its criteria are a search, authorised with `access`. */
interface ConditionalOptions extends WriteOptions {
  access: SearchAccess
}

async function writeLoop(
  db: D1Database,
  type: string,
  id: string,
  options: WriteOptions,
  plan: (current: StoredRow | null, now: number) => Plan
): Promise<RestResult> {
  const locked = options.ifMatch !== undefined && options.ifMatch.trim() !== '*'
  for (let attempt = 1; ; attempt++) {
    const current =
      attempt === 1 && options.current !== undefined
        ? options.current
        : await readResource(db, type, id)
    options.check?.current(current)
    const { ops, result } = plan(current, nextTimestamp(current))
    options.check?.written(result, current)
    try {
      await commit(db, ops)
      return result
    } catch (err) {
      if (!(err instanceof WriteConflict)) throw err
      if (locked) {
        throw preconditionFailed(
          `If-Match ${options.ifMatch!.trim()}: ${type}/${id} was changed by another request at the same time`
        )
      }
      if (attempt === MAX_WRITE_ATTEMPTS) {
        throw conflict(
          `${type}/${id} is being changed by other requests at the same time; try again`
        )
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt))
    }
  }
}

/** create, or conditional create with If-None-Exist (0 matches: create; 1: 200 with it; more: 412). */
export async function create(
  db: D1Database,
  type: string,
  body: Record<string, unknown>,
  { ifNoneExist, access, check }: { ifNoneExist?: string; access: SearchAccess; check?: WriteCheck }
): Promise<RestResult> {
  checkCreateBody(type, body)
  if (ifNoneExist === undefined) return createNew(db, type, body, check)
  const query = ifNoneExistCriteria(type, ifNoneExist)
  return untilNoRace('If-None-Exist', async () => {
    const id = await matchOne(db, type, query, access)
    const existing = id ? await readResource(db, type, id) : null
    if (id && existing && !existing.deleted) {
      const message = `${type}/${id} matches If-None-Exist; nothing was created`
      return { status: 200, version: currentVersion(type, id, existing), message }
    }
    return createNew(db, type, body, check, noMatch(type, query))
  })
}

/** A create at a new server id; with `guard`, committed only if its criteria still match nothing. */
async function createNew(
  db: D1Database,
  type: string,
  body: Record<string, unknown>,
  check: WriteCheck | undefined,
  guard?: WriteOp
): Promise<RestResult> {
  const { ops, result } = planCreate(type, crypto.randomUUID(), body, Date.now())
  check?.written(result, null)
  try {
    await commit(db, guard ? [...ops, guard] : ops)
  } catch (err) {
    if (err instanceof WriteConflict)
      throw conflict('The server-assigned id is already taken; try again')
    throw err
  }
  return result
}

/** update (PUT Type/id): update, or create at a new id. */
export function update(
  db: D1Database,
  type: string,
  id: string,
  body: Record<string, unknown>,
  options: WriteOptions = {}
): Promise<RestResult> {
  checkUpdateBody(type, id, body)
  return writeLoop(db, type, id, options, (current, now) =>
    planUpdate(type, id, body, current, options.ifMatch, now)
  )
}

/**
 * Conditional update (PUT Type?criteria): one match is updated (a body id must be its id); no match
 * creates, at the body's id when it has one (update as create) or at a new server id; more is 412.
 */
export async function conditionalUpdate(
  db: D1Database,
  type: string,
  query: URLSearchParams,
  body: Record<string, unknown>,
  options: ConditionalOptions
): Promise<RestResult> {
  const where = criteria(type, query)
  return untilNoRace(query.toString(), () => conditionalUpdateOnce(db, type, where, body, options))
}

async function conditionalUpdateOnce(
  db: D1Database,
  type: string,
  query: URLSearchParams,
  body: Record<string, unknown>,
  options: ConditionalOptions
): Promise<RestResult> {
  const matched = await matchOne(db, type, query, options.access)
  if (matched) {
    if (body.id !== undefined && body.id !== matched) {
      throw badRequest(
        `The body id ${JSON.stringify(body.id)} differs from ${type}/${matched}, the resource the criteria match`,
        ['id']
      )
    }
    return update(db, type, matched, { ...body, id: matched }, options)
  }
  if (body.id === undefined) {
    checkCreateBody(type, body)
    return createNew(db, type, body, options.check, noMatch(type, query))
  }
  if (typeof body.id !== 'string') throw badRequest('The resource id must be a string', ['id'])
  checkFhirId(body.id)
  const id = body.id
  checkUpdateBody(type, id, body)
  return writeLoop(db, type, id, options, (current, now) => {
    if (current && !current.deleted) {
      throw preconditionFailed(
        `${type}/${id} exists but does not match the criteria of the conditional update`
      )
    }
    const plan = planUpdate(type, id, body, current, options.ifMatch, now)
    return { ...plan, ops: [...plan.ops, noMatch(type, query)] }
  })
}

/** patch (PATCH Type/id with a JSON Patch). */
export function patch(
  db: D1Database,
  type: string,
  id: string,
  operations: readonly PatchOperation[],
  options: WriteOptions = {}
): Promise<RestResult> {
  return writeLoop(db, type, id, options, (current, now) =>
    planPatch(type, id, operations, current, options.ifMatch, now)
  )
}

/** Conditional patch (PATCH Type?criteria): exactly one match is patched; none is 404, more 412. */
export async function conditionalPatch(
  db: D1Database,
  type: string,
  query: URLSearchParams,
  operations: readonly PatchOperation[],
  options: ConditionalOptions
): Promise<RestResult> {
  const matched = await matchOne(db, type, criteria(type, query), options.access)
  if (!matched) throw notFound(`No ${type} matches ${query.toString()}; nothing to patch`)
  return patch(db, type, matched, operations, options)
}

/** delete (DELETE Type/id): 204 also when there was nothing to delete. */
export function remove(
  db: D1Database,
  type: string,
  id: string,
  options: WriteOptions = {}
): Promise<RestResult> {
  return writeLoop(db, type, id, options, (current, now) =>
    planDelete(type, id, current, options.ifMatch, now)
  )
}

/** Conditional delete (DELETE Type?criteria): one match is deleted, none is a 204 no-op, more 412. */
export async function conditionalDelete(
  db: D1Database,
  type: string,
  query: URLSearchParams,
  options: ConditionalOptions
): Promise<RestResult> {
  const matched = await matchOne(db, type, criteria(type, query), options.access)
  if (!matched)
    return { status: 204, message: `No ${type} matches ${query.toString()}; nothing was deleted` }
  return remove(db, type, matched, options)
}

// Planning the write interactions (R4 http.html#create, #update, #patch, #delete) against the current
// row of the resource: preconditions checked, the resource validated against the R4 base definitions
// (400 naming every problem, docs/validation.md), write ops built as plain data (no database), nothing
// executed. The same plans serve a single request (interactions.ts commits one) and a transaction (all
// in one batch).

import { isUnchanged, planDelete as deleteOps, planWrite } from '../storage/plan-write.ts'
import type { StoredRow, WrittenVersion } from '../storage/resources.ts'
import type { WriteOp } from '../storage/write-ops.ts'
import { badRequest, FhirError, gone, notFound, tooLarge } from '../../errors/outcome.ts'
import { MAX_BODY_BYTES, MAX_JSON_DEPTH } from '../../http/body.ts'
import { nestsDeeperThan } from '../../lib/json-depth.ts'
import { applyPatch, type PatchOperation } from './json-patch.ts'
import type { RestResult } from './result.ts'
import { checkIfMatch } from './versioning.ts'
import { checkValid } from './validate-operation.ts'

export interface Plan {
  /** The write ops to commit (storage/commit.ts); empty when there is nothing to write. */
  ops: WriteOp[]
  result: RestResult
}

/** The current version of a stored row, as a write result. */
export function currentVersion(type: string, id: string, row: StoredRow): WrittenVersion {
  return {
    type,
    id,
    version: row.version,
    lastUpdated: row.lastUpdated,
    body: row.deleted ? null : row.body,
  }
}

/** Create `body` as version 1 of `type/id` (an id the server chose). */
export function planCreate(
  type: string,
  id: string,
  body: Record<string, unknown>,
  now: number
): Plan {
  checkValid(body)
  const { ops, written } = planWrite(type, id, body, null, 'POST', now)
  return {
    ops,
    result: { status: 201, version: written, message: `Created ${type}/${id} (version 1)` },
  }
}

/**
 * Update (or create, for a new id) `type/id` with `body`: 412 on a stale If-Match; a body equal to the
 * current version writes nothing (like HAPI, so loading the same data twice makes no versions).
 */
export function planUpdate(
  type: string,
  id: string,
  body: Record<string, unknown>,
  current: StoredRow | null,
  ifMatch: string | undefined,
  now: number,
  method: 'PUT' | 'PATCH' = 'PUT'
): Plan {
  checkIfMatch(ifMatch, current, `${type}/${id}`)
  if (current && isUnchanged(current, body)) {
    // Nothing is written, so nothing is validated (reloading the same data costs no validation).
    const message = `${type}/${id} is unchanged (version ${current.version}); no new version was made`
    return { ops: [], result: { status: 200, version: currentVersion(type, id, current), message } }
  }
  checkValid(body)
  const { ops, written } = planWrite(type, id, body, current, method, now)
  const created = !current || current.deleted
  const message = `${created ? 'Created' : 'Updated'} ${type}/${id} (version ${written.version})`
  return { ops, result: { status: created ? 201 : 200, version: written, message } }
}

/** Patch the live resource `type/id`: 404 / 410 when there is none; the result keeps type and id. */
export function planPatch(
  type: string,
  id: string,
  patch: readonly PatchOperation[],
  current: StoredRow | null,
  ifMatch: string | undefined,
  now: number,
  rewrite: (resource: Record<string, unknown>) => Record<string, unknown> = (r) => r
): Plan {
  if (!current) throw notFound(`Resource ${type}/${id} not found`)
  checkIfMatch(ifMatch, current, `${type}/${id}`)
  if (current.deleted) throw gone(`Resource ${type}/${id} was deleted`)
  const patched = applyPatch(current.body, patch, MAX_BODY_BYTES)
  if (!patched || typeof patched !== 'object' || Array.isArray(patched)) {
    throw badRequest('The patched resource is not a JSON object')
  }
  const resource = patched as Record<string, unknown>
  if (resource.resourceType !== type || resource.id !== id) {
    throw badRequest(`A patch may not change resourceType or id (the resource is ${type}/${id})`, [
      resource.resourceType !== type ? 'resourceType' : 'id',
    ])
  }
  checkPatched(resource)
  return planUpdate(type, id, rewrite(resource), current, undefined, now, 'PATCH')
}

/**
 * A patched resource is held to what a request body may be: at most MAX_BODY_BYTES (413) and
 * MAX_JSON_DEPTH levels (422), since a patch can build more than it carries.
 */
function checkPatched(resource: Record<string, unknown>): void {
  const text = JSON.stringify(resource)
  if (new TextEncoder().encode(text).byteLength > MAX_BODY_BYTES) {
    throw tooLarge(`The patched resource exceeds the ${MAX_BODY_BYTES}-byte limit of a resource`)
  }
  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
    throw new FhirError(422, {
      severity: 'error',
      code: 'processing',
      diagnostics: `The patched resource nests deeper than ${MAX_JSON_DEPTH} levels`,
    })
  }
}

/** Delete `type/id`: a new version without a body; nothing to do when it is missing or deleted. */
export function planDelete(
  type: string,
  id: string,
  current: StoredRow | null,
  ifMatch: string | undefined,
  now: number
): Plan {
  checkIfMatch(ifMatch, current, `${type}/${id}`)
  if (!current || current.deleted) {
    const message = current
      ? `${type}/${id} was already deleted`
      : `${type}/${id} does not exist; nothing to delete`
    const version = current ? currentVersion(type, id, current) : undefined
    return { ops: [], result: { status: 204, version, message } }
  }
  const { ops, written } = deleteOps(type, id, current, now)
  const message = `Deleted ${type}/${id} (version ${written.version})`
  return { ops, result: { status: 204, version: written, message } }
}

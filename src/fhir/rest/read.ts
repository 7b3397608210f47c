// The read interactions (R4 http.html#read, #vread): the current version (410 once deleted, 304 for a
// matching If-None-Match or If-Modified-Since) and one past version. Stored JSON text is answered
// as it is, never parsed. An access token whose `r` scope for the type is granular reads only the
// resources matching a restriction: the same one query also tests it, and one that does not match
// is 404, as if it did not exist (whether it exists, or was deleted, is not revealed). A vread
// never gets here with a granular scope (its row is not granular: policy/scope-check.ts refuses).

import { gone, notFound } from '../../errors/outcome.ts'
import type { FhirCall, FhirResult } from '../call.ts'
import { readVersion } from '../storage/history.ts'
import { readResourceText, type StoredText } from '../storage/resources.ts'
import { readIfVisible, restrictionFilters } from '../search/restrict.ts'
import { notModified } from './versioning.ts'

export async function read(call: FhirCall): Promise<FhirResult> {
  const { type, id } = call.params as { type: string; id: string }
  const row = await readCurrent(call, type, id)
  if (!row) throw notFound(`Resource ${type}/${id} not found`)
  if (row.deleted) throw gone(`Resource ${type}/${id} was deleted`)
  const version = { type, id, version: row.version, lastUpdated: row.lastUpdated }
  const conditions = {
    ifNoneMatch: call.header('if-none-match'),
    ifModifiedSince: call.header('if-modified-since'),
  }
  if (notModified(conditions, row)) return { kind: 'resource', status: 304, version }
  return { kind: 'resource', status: 200, version, text: row.text }
}

export async function vread(call: FhirCall): Promise<FhirResult> {
  const { type, id, vid } = call.params as { type: string; id: string; vid: string }
  const found = /^[1-9]\d{0,14}$/.test(vid)
    ? await readVersion(call.db, type, id, Number(vid))
    : null
  if (found === undefined) throw notFound(`Resource ${type}/${id} not found`)
  if (found === null) throw notFound(`Version ${vid} of ${type}/${id} not found`)
  if (found.body === null) throw gone(`Version ${vid} of ${type}/${id} is its deletion`)
  const version = { type, id, version: found.version, lastUpdated: found.lastUpdated }
  return { kind: 'resource', status: 200, version, text: found.body }
}

/** The current row; null when absent or outside the token's granular `r` scope. */
async function readCurrent(call: FhirCall, type: string, id: string): Promise<StoredText | null> {
  const restrictions = call.scopes?.restrictions(type, 'r')
  if (!restrictions) return readResourceText(call.db, type, id)
  const { filter } = restrictionFilters(new Map([[type, restrictions]]), 'r', call.base).get(type)!
  const row = await readIfVisible(call.db, type, id, filter)
  return row?.visible ? row : null
}

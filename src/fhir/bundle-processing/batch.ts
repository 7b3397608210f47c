// Batch Bundles (R4 http.html#transaction, batch rules): every entry on its own, in Bundle order, each
// authorised and answered separately; a failing entry gets its own status and OperationOutcome and
// does not affect the others. Writes use the same interactions as single requests; the current rows
// of entries that name a resource are read in one query up front (and re-read after a write to them).

import type { Context } from 'hono'
import type { AppEnv } from '../../http/env.ts'
import { authorizeRequest } from '../../policy/authorize.ts'
import { readResources, resourceKey, type StoredRow } from '../storage/resources.ts'
import * as rest from '../rest/interactions.ts'
import { patchFromBinary } from '../rest/patch-body.ts'
import type { ReturnPreference } from '../rest/prefer.ts'
import { failedEntry, responseEntry, type ResponseEntry, type RestResult } from '../rest/result.ts'
import { baseUrl } from '../../http/base-url.ts'
import { entryRequestParts, type Entry, type ParsedEntry } from './entries.ts'
import { dispatchEntry, type Dispatch } from './dispatch.ts'

export async function runBatch(
  c: Context<AppEnv>,
  parsed: ParsedEntry[],
  prefer: ReturnPreference,
  dispatch: Dispatch
): Promise<ResponseEntry[]> {
  const db = c.env.DB
  const named = parsed.flatMap((e) => {
    if ('error' in e) return []
    const i = e.interaction
    return i.kind === 'update' || i.kind === 'patch' || i.kind === 'delete' ? [{ type: i.type, id: i.id }] : []
  })
  const known = new Prefetched(await readResources(db, named))
  const base = baseUrl(c)
  const response: ResponseEntry[] = []
  for (const entry of parsed) {
    try {
      if ('error' in entry) throw entry.error
      if (entry.method === 'GET' || entry.method === 'HEAD') {
        response.push(await dispatchEntry(c, dispatch, entry))
        continue
      }
      await authorizeRequest(c, entry.operation!, entryRequestParts(entry))
      response.push(responseEntry(base, await perform(db, entry, known), prefer))
    } catch (err) {
      response.push(failedEntry(err, entry.index))
    }
  }
  return response
}

/** Rows read up front; each is used once (a later entry on the same resource reads it again). */
class Prefetched {
  private readonly used = new Set<string>()
  private readonly rows: Map<string, StoredRow>
  constructor(rows: Map<string, StoredRow>) {
    this.rows = rows
  }
  take(type: string, id: string): StoredRow | null | undefined {
    const key = resourceKey(type, id)
    if (this.used.has(key)) return undefined
    this.used.add(key)
    return this.rows.get(key) ?? null
  }
}

async function perform(db: D1Database, entry: Entry, known: Prefetched): Promise<RestResult> {
  const i = entry.interaction
  const body = entry.resource!
  const ifMatch = entry.ifMatch
  if (i.kind === 'update' || i.kind === 'patch' || i.kind === 'delete') {
    const options = { ifMatch, current: known.take(i.type, i.id) }
    if (i.kind === 'update') return rest.update(db, i.type, i.id, body, options)
    if (i.kind === 'patch') return rest.patch(db, i.type, i.id, patchFromBinary(body), options)
    return rest.remove(db, i.type, i.id, options)
  }
  switch (i.kind) {
    case 'create':
      return rest.create(db, i.type, body, entry.ifNoneExist)
    case 'conditional-update':
      return rest.conditionalUpdate(db, i.type, entry.query, body, { ifMatch })
    case 'conditional-patch':
      return rest.conditionalPatch(db, i.type, entry.query, patchFromBinary(body), { ifMatch })
    case 'conditional-delete':
      return rest.conditionalDelete(db, i.type, entry.query, { ifMatch })
    default:
      throw new Error(`not a write: ${i.kind}`)
  }
}

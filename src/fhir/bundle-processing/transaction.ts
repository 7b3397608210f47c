// Transaction Bundles (R4 http.html#transaction, #trules): all or nothing. Every entry is authorised
// first; identities are resolved (server ids for creates, conditional criteria), the current rows are
// read in one query, `urn:uuid:` references are resolved, and every write is planned in the spec's
// order (DELETE, POST, PUT/PATCH) into ONE db.batch(): a failing entry, a stale If-Match or a
// concurrent writer leaves nothing behind. GET entries run after the commit and see its writes.
// An entry written under `patient/` scopes is checked on its current row and planned version, as a
// single write is (rest/compartment-writes.ts).

import { commit } from '../storage/commit.ts'
import { readResources, resourceKey, type StoredRow } from '../storage/resources.ts'
import { MatchConflict, WriteConflict } from '../storage/write-conflict.ts'
import type { WriteOp } from '../storage/write-ops.ts'
import { matchQuery } from '../search/find.ts'
import {
  badRequest,
  conflict,
  FhirError,
  gone,
  notFound,
  preconditionFailed,
} from '../../errors/outcome.ts'
import type { SearchAccess } from '../rest/search-access.ts'
import { parsePatch } from '../rest/json-patch.ts'
import { patchFromBinary } from '../rest/patch-body.ts'
import type { ReturnPreference } from '../rest/prefer.ts'
import { failedEntry, type ResponseEntry, type RestResult } from '../rest/result.ts'
import {
  currentVersion,
  planCreate,
  planDelete,
  planPatch,
  planUpdate,
  type Plan,
} from '../rest/writes.ts'
import type { FhirCall } from '../call.ts'
import type { TokenScopes } from '../../policy/scope-check.ts'
import { compartmentWrites, type WriteCheck, type WriteLetter } from '../rest/compartment-writes.ts'
import { atEntry, type Entry, type ParsedEntry } from './entries.ts'
import { authorizeEntry, entryCall, entryResponse, isRead, writeEntry } from './entry-call.ts'
import { authorizeEntrySearches, entryReferences } from './entry-searches.ts'
import {
  checkCreatedOnce,
  resolveConditionalReferences,
  resolveTarget,
  type Target,
} from './transaction-targets.ts'
import { BundleBudget } from './bundle-budget.ts'
import { resolveReferences, type ReferenceMap } from './references.ts'

/** Times a transaction is planned again after a concurrent writer made its batch fail. */
const MAX_ATTEMPTS = 3

const RANK: Record<string, number> = { DELETE: 0, POST: 1, PUT: 2, PATCH: 2, GET: 3, HEAD: 3 }

async function inEntry<T>(entry: Entry, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (err) {
    throw err instanceof FhirError ? atEntry(err, entry.index) : err
  }
}

export async function runTransaction(
  call: FhirCall,
  parsed: ParsedEntry[],
  prefer: ReturnPreference
): Promise<ResponseEntry[]> {
  const entries = parsed.map((e) => {
    if ('error' in e) throw e.error
    return e
  })
  // What the transaction will search, counted before anything is authorised or matched.
  const budget = new BundleBudget()
  for (const entry of entries) {
    await inEntry(entry, () => budget.count(entry, entryReferences(entry).size))
  }
  for (const entry of entries) await inEntry(entry, () => authorizeEntry(call, entry))
  // Criteria and conditional references are searches: all authorised before anything is matched.
  for (const entry of entries) await inEntry(entry, () => authorizeEntrySearches(call, entry))
  checkFullUrls(entries)
  // Reads run after the commit; a read the server would refuse fails the transaction before it.
  for (const entry of entries.filter(isRead)) {
    await inEntry(entry, () => entry.interaction.check?.(entryCall(call, entry)))
  }
  const db = call.db
  let results: Map<number, RestResult>
  for (let attempt = 1; ; attempt++) {
    try {
      const plan = await planTransaction(db, entries, call.authorizeSearch, call.scopes)
      await commit(db, plan.ops)
      results = plan.results
      break
    } catch (err) {
      if (!(err instanceof WriteConflict) && !(err instanceof MatchConflict)) throw err
      if (attempt === MAX_ATTEMPTS) {
        throw conflict(
          'Resources of this transaction are being changed by other requests at the same time; try again'
        )
      }
    }
  }
  const response: ResponseEntry[] = []
  for (const entry of entries) {
    const result = results.get(entry.index)
    if (result) response.push(budget.chargeWrite(writeEntry(call, result, prefer)))
    // The writes are committed: a GET that fails now is reported in its entry.
    else
      response.push(
        await readEntry(call, entry, prefer, budget).catch((err) =>
          failedEntry(err, entry.index, call.log)
        )
      )
  }
  return response
}

async function readEntry(
  call: FhirCall,
  entry: Entry,
  prefer: ReturnPreference,
  budget: BundleBudget
): Promise<ResponseEntry> {
  budget.admit()
  const result = await entry.interaction.handler(entryCall(call, entry))
  return budget.charge(entryResponse(call, entry, result, prefer))
}

function checkFullUrls(entries: Entry[]): void {
  const seen = new Map<string, number>()
  for (const entry of entries) {
    if (entry.fullUrl === undefined) continue
    const first = seen.get(entry.fullUrl)
    if (first !== undefined) {
      const pair = `Bundle.entry[${first}] and Bundle.entry[${entry.index}]`
      throw badRequest(`${pair} have the same fullUrl ${entry.fullUrl}`)
    }
    seen.set(entry.fullUrl, entry.index)
  }
}

interface TransactionPlan {
  ops: WriteOp[]
  results: Map<number, RestResult>
}

async function planTransaction(
  db: D1Database,
  entries: Entry[],
  access: SearchAccess,
  scopes: TokenScopes | undefined
): Promise<TransactionPlan> {
  const ordered = [...entries].sort(
    (a, b) => RANK[a.method]! - RANK[b.method]! || a.index - b.index
  )
  const writes = ordered.filter((e) => !isRead(e))
  const targets = await Promise.all(
    writes.map((e) => inEntry(e, () => resolveTarget(db, e, access)))
  )

  // A transaction changes each resource at most once (http.html#trules: identities must not overlap).
  const owner = new Map<string, Target>()
  for (const t of targets) {
    if (t.id === null) continue
    const key = resourceKey(t.type, t.id)
    const other = owner.get(key)
    if (other) {
      throw badRequest(
        `Bundle.entry[${other.entry.index}] and Bundle.entry[${t.entry.index}] both act on ${key}; ` +
          'a transaction may change a resource only once'
      )
    }
    owner.set(key, t)
  }
  checkCreatedOnce(targets)

  const reads = entries.filter((e) => e.interaction.name === 'read')
  const keys = [
    ...targets.filter((t) => t.id !== null && !t.fresh).map((t) => ({ type: t.type, id: t.id! })),
    ...reads.map((e) => e.params as { type: string; id: string }),
  ]
  const rows = await readResources(db, keys)
  const rowOf = (type: string, id: string): StoredRow | null =>
    rows.get(resourceKey(type, id)) ?? null

  const references: ReferenceMap = new Map()
  for (const t of targets) {
    const kind = t.entry.interaction.name
    const named = kind === 'create' || kind === 'update' || kind === 'conditional-update'
    if (t.entry.fullUrl && t.id !== null && named) {
      references.set(t.entry.fullUrl, `${t.type}/${t.id}`)
    }
  }
  await resolveConditionalReferences(db, targets, references, access)

  // One instant for the whole transaction, after every version it replaces.
  let now = Date.now()
  for (const row of rows.values()) now = Math.max(now, row.lastUpdated + 1)

  const ops: WriteOp[] = []
  const results = new Map<number, RestResult>()
  for (const t of targets) {
    const plan = await inEntry(t.entry, () => {
      const letter = t.entry.interaction.smart as WriteLetter
      return planEntry(t, rowOf, references, now, compartmentWrites(scopes, t.type, letter))
    })
    ops.push(...plan.ops)
    if (t.noMatch)
      ops.push({ kind: 'requireNoMatch', type: t.type, match: matchQuery(t.type, t.noMatch) })
    results.set(t.entry.index, plan.result)
  }
  for (const e of reads) await inEntry(e, () => checkReadable(e, owner, results, rowOf))
  return { ops, results }
}

/** The entry's plan; with `check`, its current row and planned version are checked. */
function planEntry(
  t: Target,
  rowOf: (type: string, id: string) => StoredRow | null,
  references: ReferenceMap,
  now: number,
  check: WriteCheck | undefined
): Plan {
  const { entry, type, id } = t
  if (id === null) {
    const message = `No ${type} matches ${entry.query.toString()}; nothing was deleted`
    return { ops: [], result: { status: 204, message } }
  }
  const current = t.fresh ? null : rowOf(type, id)
  if (!check) return planOf(t, current, references, now)
  // A conditional create that matched writes nothing: its match is not the caller's to write.
  if (entry.interaction.name === 'create' && t.existing) return planOf(t, current, references, now)
  check.current(current)
  const plan = planOf(t, current, references, now)
  check.written(plan.result, current)
  return plan
}

function planOf(t: Target, current: StoredRow | null, references: ReferenceMap, now: number): Plan {
  const { entry, type, id } = t as Target & { id: string }
  const resolve = (r: Record<string, unknown>) => resolveReferences(r, references)
  switch (entry.interaction.name) {
    case 'create':
      if (t.existing) {
        // Deleted between the search and the read: plan again.
        if (!current || current.deleted) throw new WriteConflict()
        const message = `${type}/${id} matches If-None-Exist; nothing was created`
        return {
          ops: [],
          result: { status: 200, version: currentVersion(type, id, current), message },
        }
      }
      return planCreate(type, id, resolve(entry.resource!), now)
    case 'update':
    case 'conditional-update': {
      if (t.mustBeNew && current && !current.deleted) {
        throw preconditionFailed(
          `${type}/${id} exists but does not match the criteria of the conditional update`
        )
      }
      const body = resolve({ ...entry.resource!, id })
      return planUpdate(type, id, body, current, entry.ifMatch, now)
    }
    case 'patch':
    case 'conditional-patch':
      return planPatch(
        type,
        id,
        parsePatch(patchFromBinary(entry.resource)),
        current,
        entry.ifMatch,
        now,
        resolve
      )
    default:
      return planDelete(type, id, current, entry.ifMatch, now)
  }
}

/** A read entry fails the transaction when its resource will not exist once the writes are applied. */
function checkReadable(
  entry: Entry,
  owner: Map<string, Target>,
  results: Map<number, RestResult>,
  rowOf: (type: string, id: string) => StoredRow | null
): void {
  const { type, id } = entry.params as { type: string; id: string }
  const writer = owner.get(resourceKey(type, id))
  if (writer) {
    if (writer.entry.method === 'DELETE')
      throw gone(`Resource ${type}/${id} is deleted by this transaction`)
    if (results.get(writer.entry.index)?.version?.body) return
  }
  const row = rowOf(type, id)
  if (!row) throw notFound(`Resource ${type}/${id} not found`)
  if (row.deleted) throw gone(`Resource ${type}/${id} was deleted`)
}

// Where each write entry of a transaction lands (R4 http.html#trules): the resource it names, the
// one its criteria match (If-None-Exist, conditional update, patch, delete), or a fresh server id;
// two entries that would create on the same criteria are refused; conditional references resolve to
// the one resource their criteria match. Criteria are matched with the search engine, authorised
// as searches (`access`).

import { badRequest, notFound, preconditionFailed } from '../../errors/outcome.ts'
import { checkCreateBody, checkFhirId, checkUpdateBody } from '../resource-input.ts'
import { criteria, ifNoneExistCriteria, matchOne } from '../rest/conditional.ts'
import type { SearchAccess } from '../rest/search-access.ts'
import type { Entry } from './entries.ts'
import { conditionalReference, entryReferences } from './entry-searches.ts'
import type { ReferenceMap } from './references.ts'

/** Where a write entry lands: its resource, or none (a conditional delete that matched nothing). */
export interface Target {
  entry: Entry
  type: string
  id: string | null
  /** A create (or conditional update without a match) at a fresh server id. */
  fresh: boolean
  /** A conditional create whose If-None-Exist matched this existing resource. */
  existing: boolean
  /** A conditional update without a match, at the body's id, which must not be live. */
  mustBeNew: boolean
  /** Criteria that matched nothing: the create commits only if they still match nothing. */
  noMatch?: URLSearchParams
}

/** Where an entry lands: its criteria matched, a server id chosen for a create. */
export async function resolveTarget(
  db: D1Database,
  entry: Entry,
  access: SearchAccess
): Promise<Target> {
  const { type: entryType, id: entryId } = entry.params as { type: string; id: string }
  const target = (type: string, id: string | null, extra: Partial<Target> = {}): Target => ({
    entry,
    type,
    id,
    fresh: false,
    existing: false,
    mustBeNew: false,
    ...extra,
  })
  switch (entry.interaction.name) {
    case 'create': {
      checkCreateBody(entryType, entry.resource!)
      if (entry.ifNoneExist !== undefined) {
        const noMatch = ifNoneExistCriteria(entryType, entry.ifNoneExist)
        const id = await matchOne(db, entryType, noMatch, access)
        if (id) return target(entryType, id, { existing: true })
        return target(entryType, crypto.randomUUID(), { fresh: true, noMatch })
      }
      return target(entryType, crypto.randomUUID(), { fresh: true })
    }
    case 'update':
      checkUpdateBody(entryType, entryId, entry.resource!)
      return target(entryType, entryId)
    case 'conditional-update': {
      const body = entry.resource!
      const noMatch = criteria(entryType, entry.query)
      const matched = await matchOne(db, entryType, noMatch, access)
      if (matched) {
        if (body.id !== undefined && body.id !== matched) {
          throw badRequest(
            `The body id ${JSON.stringify(body.id)} differs from ${entryType}/${matched}, the resource the criteria match`,
            ['id']
          )
        }
        return target(entryType, matched)
      }
      if (body.id === undefined)
        return target(entryType, crypto.randomUUID(), { fresh: true, noMatch })
      if (typeof body.id !== 'string') throw badRequest('The resource id must be a string', ['id'])
      checkFhirId(body.id)
      return target(entryType, body.id, { mustBeNew: true, noMatch })
    }
    case 'patch':
    case 'delete':
      return target(entryType, entryId)
    case 'conditional-patch': {
      const matched = await matchOne(db, entryType, criteria(entryType, entry.query), access)
      if (!matched)
        throw notFound(`No ${entryType} matches ${entry.query.toString()}; nothing to patch`)
      return target(entryType, matched)
    }
    case 'conditional-delete':
      return target(
        entryType,
        await matchOne(db, entryType, criteria(entryType, entry.query), access)
      )
    default:
      throw badRequest(`${entry.method} is not a write`)
  }
}

/**
 * Two entries that create on the same criteria would both create: each checks the state before the
 * transaction (the guard of a conditional create cannot see the other's row). 400 naming both.
 */
export function checkCreatedOnce(targets: readonly Target[]): void {
  const creator = new Map<string, Target>()
  for (const t of targets) {
    if (!t.noMatch) continue
    const key = JSON.stringify([
      t.type,
      [...t.noMatch].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    ])
    const other = creator.get(key)
    if (other) {
      throw badRequest(
        `Bundle.entry[${other.entry.index}] and Bundle.entry[${t.entry.index}] both create a ` +
          `${t.type} matching ${t.noMatch.toString()}; a transaction may create it only once`
      )
    }
    creator.set(key, t)
  }
}

/**
 * Conditional references (`Patient?identifier=…`, http.html#trules) resolve to the one resource the
 * criteria match: a create of this transaction with the same If-None-Exist, else a stored resource.
 * No match or several fail the transaction (412).
 */
export async function resolveConditionalReferences(
  db: D1Database,
  targets: Target[],
  references: ReferenceMap,
  access: SearchAccess
): Promise<void> {
  const found = new Set(targets.flatMap((t) => [...entryReferences(t.entry)]))
  // One at a time: each is a search, and a transaction's searches are bounded (bundle-budget.ts).
  for (const reference of found) {
    const { type, query } = conditionalReference(reference)
    const created = targets.find(
      (t) =>
        t.fresh &&
        t.type === type &&
        t.entry.ifNoneExist !== undefined &&
        ifNoneExistCriteria(type, t.entry.ifNoneExist).toString() === query.toString()
    )
    const id = created?.id ?? (await matchOne(db, type, query, access))
    if (!id) throw preconditionFailed(`The conditional reference ${reference} matches no ${type}`)
    references.set(reference, `${type}/${id}`)
  }
}

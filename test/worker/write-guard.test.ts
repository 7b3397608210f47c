// The guard of a conditional create committed to the real local D1 (R4 http.html#ccreate: "If there
// are no matches, the server processes the create as normal"; issue 10: 20 concurrent conditional
// updates without a match created 2 to 5 resources). A write planned after a search that found no
// match carries a requireNoMatch op with the search's SQL (search/find.ts matchQuery); in the same
// db.batch() the guard fails the whole batch with MatchConflict when a match exists by then.

import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { findIds, matchQuery } from '../../src/fhir/search/find.ts'
import { commit, toStatements } from '../../src/fhir/storage/commit.ts'
import { planDelete, planWrite } from '../../src/fhir/storage/plan-write.ts'
import { readResource } from '../../src/fhir/storage/resources.ts'
import { MatchConflict, WriteConflict } from '../../src/fhir/storage/write-conflict.ts'
import type { WriteOp } from '../../src/fhir/storage/write-ops.ts'
import { uniqueId } from './helpers.ts'
import { FhirError } from '../../src/errors/outcome.ts'

const db = env.DB

/** A fresh identifier and the criteria that find it (`identifier=system|value`). */
function identifier() {
  const value = uniqueId('wg')
  const criteria = new URLSearchParams({ identifier: `urn:write-guard|${value}` })
  return { value, criteria }
}

const patient = (id: string, value: string) => ({
  resourceType: 'Patient',
  id,
  identifier: [{ system: 'urn:write-guard', value }],
})

/** The ops of creating Patient `id` with `value`, guarded by `criteria` unless `guarded` is false. */
function guardedCreate(id: string, value: string, criteria: URLSearchParams, guarded = true) {
  const ops: WriteOp[] = planWrite('Patient', id, patient(id, value), null, 'POST', Date.now()).ops
  if (guarded)
    ops.push({ kind: 'requireNoMatch', type: 'Patient', match: matchQuery('Patient', criteria) })
  return ops
}

const count = async (criteria: URLSearchParams) =>
  (await findIds(db, 'Patient', criteria, 100)).length

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (err: unknown) => err
  )

describe('requireNoMatch: a create committed only if its criteria still match nothing', () => {
  it('commits the create when nothing matches, and leaves the guard table empty', async () => {
    const { value, criteria } = identifier()
    const id = uniqueId('wg-new')
    await commit(db, guardedCreate(id, value, criteria))
    expect((await readResource(db, 'Patient', id))?.deleted).toBe(false)
    const rows = await db
      .prepare('SELECT count(*) AS n FROM conditional_guard')
      .first<{ n: number }>()
    expect(rows?.n).toBe(0)
  })

  it('fails with MatchConflict when a matching resource exists, and writes nothing', async () => {
    const { value, criteria } = identifier()
    await commit(db, guardedCreate(uniqueId('wg-first'), value, criteria, false))
    const id = uniqueId('wg-second')
    const err = await failure(commit(db, guardedCreate(id, value, criteria)))
    expect(err).toBeInstanceOf(MatchConflict)
    expect(err).not.toBeInstanceOf(WriteConflict)
    expect(await readResource(db, 'Patient', id)).toBeNull()
    expect(await count(criteria)).toBe(1)
  })

  it('fails when another batch created a match between the search and the commit', async () => {
    const { value, criteria } = identifier()
    // The search finds nothing, so the write is planned as a create ...
    expect(await findIds(db, 'Patient', criteria, 2)).toEqual([])
    const id = uniqueId('wg-late')
    const ops = guardedCreate(id, value, criteria)
    // ... another request commits a match ...
    await commit(db, guardedCreate(uniqueId('wg-other'), value, criteria))
    // ... and the planned create fails as a whole.
    expect(await failure(commit(db, ops))).toBeInstanceOf(MatchConflict)
    expect(await readResource(db, 'Patient', id)).toBeNull()
    expect(await count(criteria)).toBe(1)
  })

  it('20 creates planned after the same empty search: without the guard all 20 commit, with it one', async () => {
    const race = async (guarded: boolean) => {
      const { value, criteria } = identifier()
      const searches = await Promise.all(
        Array.from({ length: 20 }, () => findIds(db, 'Patient', criteria, 2))
      )
      expect(searches.every((ids) => ids.length === 0)).toBe(true)
      const results = await Promise.allSettled(
        searches.map(() => commit(db, guardedCreate(uniqueId('wg-race'), value, criteria, guarded)))
      )
      const lost = results.filter((r) => r.status === 'rejected')
      for (const r of lost)
        expect((r as PromiseRejectedResult).reason).toBeInstanceOf(MatchConflict)
      return { created: await count(criteria), lost: lost.length }
    }
    expect(await race(false)).toEqual({ created: 20, lost: 0 })
    expect(await race(true)).toEqual({ created: 1, lost: 19 })
  })

  it('20 racing search-then-create writers that search again after a MatchConflict create exactly one', async () => {
    const { value, criteria } = identifier()
    const writer = async (): Promise<string> => {
      for (let attempt = 1; attempt <= 3; attempt++) {
        const [found] = await findIds(db, 'Patient', criteria, 2)
        if (found) return found
        const id = uniqueId('wg-writer')
        try {
          await commit(db, guardedCreate(id, value, criteria))
          return id
        } catch (err) {
          if (!(err instanceof MatchConflict)) throw err
        }
      }
      throw new Error('no match after 3 attempts')
    }
    const ids = await Promise.all(Array.from({ length: 20 }, writer))
    expect(new Set(ids).size).toBe(1)
    expect(await count(criteria)).toBe(1)
  })

  it('checks the state before the batch: its own new resource does not count as a match', async () => {
    // The guard runs first; the create's index rows (which match the criteria) come after it.
    const { value, criteria } = identifier()
    const ops = guardedCreate(uniqueId('wg-self'), value, criteria)
    const statements = toStatements(db, ops) as unknown as { statement: string }[]
    expect(statements[0]!.statement).toMatch(/^INSERT INTO conditional_guard/)
    await commit(db, ops)
    expect(await count(criteria)).toBe(1)
  })

  it('a deleted resource that matched does not block the create (only current resources count)', async () => {
    const { value, criteria } = identifier()
    const first = uniqueId('wg-gone')
    await commit(db, guardedCreate(first, value, criteria, false))
    const row = (await readResource(db, 'Patient', first))!
    await commit(db, planDelete('Patient', first, row, Date.now() + 1).ops)
    await commit(db, guardedCreate(uniqueId('wg-after'), value, criteria))
    expect(await count(criteria)).toBe(1)
  })

  it('costs an ordinary create nothing: no guard op, no extra statement', async () => {
    const { value, criteria } = identifier()
    const plain = guardedCreate(uniqueId('wg-plain'), value, criteria, false)
    const statements = toStatements(db, plain) as unknown as { statement: string }[]
    expect(statements.some((s) => s.statement.includes('conditional_guard'))).toBe(false)
    const guarded = toStatements(db, [...plain, guardedCreate('x', value, criteria).at(-1)!])
    expect(guarded).toHaveLength(statements.length + 1)
  })

  it('criteria planned as a guarded statement (WITH …, no selective parameter) guard as well', async () => {
    const family = uniqueId('Wg')
    const criteria = new URLSearchParams({ family, gender: 'female' })
    const match = matchQuery('Patient', criteria)
    expect(match.sql).toMatch(/^WITH /)
    const body = (id: string) => ({
      resourceType: 'Patient',
      id,
      name: [{ family }],
      gender: 'female',
    })
    const create = (id: string): WriteOp[] => [
      ...planWrite('Patient', id, body(id), null, 'POST', Date.now()).ops,
      { kind: 'requireNoMatch', type: 'Patient', match },
    ]
    await commit(db, create(uniqueId('wg-with')))
    expect(await failure(commit(db, create(uniqueId('wg-with'))))).toBeInstanceOf(MatchConflict)
    expect(await findIds(db, 'Patient', criteria, 10)).toHaveLength(1)
  })

  it('criteria the search cannot apply are a 400, as for findIds', () => {
    let err: unknown
    try {
      matchQuery('Patient', new URLSearchParams({ _text: 'x' }))
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(FhirError)
    expect((err as FhirError).status).toBe(400)
  })
})

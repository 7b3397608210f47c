// Write plans committed to the real local D1 (src/fhir/storage/commit.ts): what a plan writes is what a
// fresh extraction of the stored body gives, the optimistic lock turns a lost race into WriteConflict
// (R4 http.html#concurrency), and any other failed statement is an ordinary error that writes nothing.

import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { extractIndexRows } from '../../src/fhir/index/extract.ts'
import { INDEX_KINDS, INDEX_TABLES } from '../../src/fhir/index/tables.ts'
import { commit, toStatements } from '../../src/fhir/storage/commit.ts'
import { planDelete, planWrite } from '../../src/fhir/storage/plan-write.ts'
import { readResource, type StoredRow } from '../../src/fhir/storage/resources.ts'
import { WriteConflict } from '../../src/fhir/storage/write-conflict.ts'
import type { WriteOp } from '../../src/fhir/storage/write-ops.ts'
import { uniqueId } from './helpers.ts'

const db = env.DB

const observation = (id: string, status: string, value = 100) => ({
  resourceType: 'Observation',
  id,
  status,
  code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }], text: 'Systolic' },
  subject: { reference: 'Patient/write-commit' },
  effectiveDateTime: '2024-05-06T07:08:09Z',
  valueQuantity: { value, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
})

/** Every index row stored for `pk`, per table, as [sp, ...value columns] JSON, sorted. */
async function storedRows(pk: number): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {}
  for (const kind of INDEX_KINDS) {
    const { name, columns } = INDEX_TABLES[kind]
    const rows = await db
      .prepare(`SELECT sp, ${columns.join(', ')} FROM ${name} WHERE pk = ?1`)
      .bind(pk)
      .raw()
    out[kind] = rows.map((r) => JSON.stringify(r)).sort()
  }
  return out
}

/** The rows the extractor gives for `body`, in the same form as storedRows. */
function extractedRows(body: Record<string, unknown> | null): Record<string, string[]> {
  const rows = extractIndexRows(body ?? {})
  const out: Record<string, string[]> = {}
  for (const kind of INDEX_KINDS) {
    const columns: readonly string[] = INDEX_TABLES[kind].columns
    out[kind] = (rows[kind] as unknown as Record<string, unknown>[])
      .map((r) => JSON.stringify([r.sp, ...columns.map((c) => r[c])]))
      .sort()
  }
  return out
}

async function current(id: string): Promise<StoredRow> {
  const row = await readResource(db, 'Observation', id)
  if (!row) throw new Error(`Observation/${id} is not stored`)
  return row
}

describe('committing write plans (one db.batch per plan)', () => {
  it('a create stores the resource, its first history row and exactly its extracted index rows', async () => {
    const id = uniqueId('wc-create')
    const plan = planWrite('Observation', id, observation(id, 'final'), null, 'POST', Date.now())
    await commit(db, plan.ops)
    const row = await current(id)
    expect(row).toMatchObject({ version: 1, deleted: false, body: plan.written.body })
    expect(await storedRows(row.pk)).toEqual(extractedRows(row.body))
    const history = await db
      .prepare('SELECT version, method FROM resource_history WHERE pk = ?1')
      .bind(row.pk)
      .all()
    expect(history.results).toEqual([{ version: 1, method: 'POST' }])
  })

  it('updates and a delete leave exactly the index rows of the current body (http.html#update, #delete)', async () => {
    const id = uniqueId('wc-update')
    await commit(
      db,
      planWrite('Observation', id, observation(id, 'final'), null, 'PUT', Date.now()).ops
    )
    const v1 = await current(id)
    await commit(
      db,
      planWrite('Observation', id, observation(id, 'amended', 120), v1, 'PUT', Date.now() + 1).ops
    )
    const v2 = await current(id)
    expect(v2.version).toBe(2)
    expect(await storedRows(v2.pk)).toEqual(extractedRows(v2.body))
    await commit(db, planDelete('Observation', id, v2, Date.now() + 2).ops)
    const v3 = await current(id)
    expect(v3).toMatchObject({ version: 3, deleted: true })
    expect(await storedRows(v3.pk)).toEqual(extractedRows(null))
    await commit(
      db,
      planWrite('Observation', id, observation(id, 'final'), v3, 'PUT', Date.now() + 3).ops
    )
    const v4 = await current(id)
    expect(v4).toMatchObject({ version: 4, deleted: false })
    expect(await storedRows(v4.pk)).toEqual(extractedRows(v4.body))
  })

  it('new resources are grouped: three creates are one statement per table, not one per row', async () => {
    const ids = [uniqueId('wc-a'), uniqueId('wc-b'), uniqueId('wc-c')]
    const ops = ids.flatMap(
      (id) => planWrite('Observation', id, observation(id, 'final'), null, 'POST', Date.now()).ops
    )
    const tables = new Set(ops.filter((op) => op.kind === 'insertIndexRows').map((op) => op.table))
    // resource rows, history rows, then one INSERT per index table
    expect(toStatements(db, ops)).toHaveLength(2 + tables.size)
    await commit(db, ops)
    for (const id of ids) {
      const row = await current(id)
      expect(await storedRows(row.pk)).toEqual(extractedRows(row.body))
    }
  })
})

describe('stored index rows are exactly the extracted ones, for awkward bodies', () => {
  it('a value and a comparator with the same number and unit are two rows, kept across an update', async () => {
    const id = uniqueId('wc-cmp')
    const body = {
      ...observation(id, 'final'),
      component: [
        {
          code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] },
          valueQuantity: { value: 100, comparator: '<', unit: 'mmHg' },
        },
      ],
    }
    await commit(db, planWrite('Observation', id, body, null, 'PUT', Date.now()).ops)
    const v1 = await current(id)
    expect(await storedRows(v1.pk)).toEqual(extractedRows(v1.body))
    const { component: _component, ...without } = body
    await commit(db, planWrite('Observation', id, without, v1, 'PUT', Date.now() + 1).ops)
    const v2 = await current(id)
    expect(await storedRows(v2.pk)).toEqual(extractedRows(v2.body))
  })

  it('a transaction of large non-ASCII bodies is split into statements whose values stay under 2 MB of UTF-8', async () => {
    const narrative = 'あいうえお'.repeat(560) // 2,800 characters, 8,400 bytes
    const patients = Array.from({ length: 300 }, (_, i) => ({
      resourceType: 'Patient',
      id: uniqueId(`wc-jp${i}`),
      text: {
        status: 'generated',
        div: `<div xmlns="http://www.w3.org/1999/xhtml">${narrative}</div>`,
      },
    }))
    const ops = patients.flatMap((p) => planWrite('Patient', p.id, p, null, 'POST', Date.now()).ops)
    // workerd's prepared statements expose their SQL and bound values (`statement`, `params`).
    const statements = toStatements(db, ops) as unknown as {
      statement: string
      params: unknown[]
    }[]
    const utf8 = new TextEncoder()
    const sizes = statements.flatMap((st) =>
      st.params.filter((p) => typeof p === 'string').map((p) => utf8.encode(p as string).byteLength)
    )
    expect(Math.max(...sizes)).toBeLessThan(2_000_000)
    // 300 x 8.4 KB is 2.5 MB of resource rows and as much of history rows: two statements each.
    const inserts = (table: string) =>
      statements.filter((st) => st.statement.startsWith(`INSERT INTO ${table} `)).length
    expect([inserts('resource'), inserts('resource_history')]).toEqual([2, 2])
    await commit(db, ops)
    const row = await readResource(db, 'Patient', patients[299]!.id)
    expect(row?.body.text).toEqual(patients[299]!.text)
  })

  it('refuses a plan whose rows name a resource by type and id that the plan does not create', () => {
    const id = uniqueId('wc-orphan')
    const ops = planWrite('Observation', id, observation(id, 'final'), null, 'POST', Date.now()).ops
    expect(() =>
      toStatements(
        db,
        ops.filter((op) => op.kind !== 'insertResource')
      )
    ).toThrow(/without creating it/)
  })
})

describe('the optimistic lock (http.html#concurrency)', () => {
  it('two writers of the same version: the second batch is a WriteConflict and changes nothing', async () => {
    const id = uniqueId('wc-race')
    await commit(
      db,
      planWrite('Observation', id, observation(id, 'final'), null, 'PUT', Date.now()).ops
    )
    const read = await current(id)
    const first = planWrite(
      'Observation',
      id,
      observation(id, 'amended'),
      read,
      'PUT',
      Date.now() + 1
    )
    const second = planWrite(
      'Observation',
      id,
      observation(id, 'cancelled'),
      read,
      'PUT',
      Date.now() + 1
    )
    await commit(db, first.ops)
    await expect(commit(db, second.ops)).rejects.toBeInstanceOf(WriteConflict)
    const after = await current(id)
    expect(after).toMatchObject({ version: 2, body: { status: 'amended' } })
    expect(await storedRows(after.pk)).toEqual(extractedRows(after.body))
  })

  it('two creates of the same id: the second batch is a WriteConflict (UNIQUE (type, id))', async () => {
    const id = uniqueId('wc-twice')
    await commit(
      db,
      planWrite('Observation', id, observation(id, 'final'), null, 'PUT', Date.now()).ops
    )
    const again = planWrite('Observation', id, observation(id, 'amended'), null, 'PUT', Date.now())
    await expect(commit(db, again.ops)).rejects.toBeInstanceOf(WriteConflict)
    expect((await current(id)).body.status).toBe('final')
  })
})

describe('only a lost version race is a conflict (http.html#concurrency); other failures are ordinary errors', () => {
  /** Commits `ops` and returns what it threw. */
  async function failure(ops: WriteOp[]): Promise<unknown> {
    try {
      await commit(db, ops)
    } catch (err) {
      return err
    }
    throw new Error('the commit did not fail')
  }

  it('a NOT NULL violation is thrown as the D1 error, not as WriteConflict, and writes nothing', async () => {
    const id = uniqueId('wc-null')
    const plan = planWrite('Observation', id, observation(id, 'final'), null, 'POST', Date.now())
    const broken = plan.ops.map((op) =>
      op.kind === 'insertHistory' ? { ...op, method: null as unknown as 'POST' } : op
    )
    const err = await failure(broken)
    expect(err).not.toBeInstanceOf(WriteConflict)
    expect(String((err as Error).message)).toMatch(
      /NOT NULL constraint failed: resource_history\.method/
    )
    expect(await readResource(db, 'Observation', id)).toBeNull()
  })

  it('a value of the wrong type for a STRICT column is thrown as the D1 error, not as WriteConflict', async () => {
    const id = uniqueId('wc-strict')
    await commit(
      db,
      planWrite('Observation', id, observation(id, 'final'), null, 'PUT', Date.now()).ops
    )
    const read = await current(id)
    const plan = planWrite(
      'Observation',
      id,
      observation(id, 'amended'),
      read,
      'PUT',
      Date.now() + 1
    )
    const broken = plan.ops.map((op) =>
      op.kind === 'updateResource' ? { ...op, lastUpdated: 'later' as unknown as number } : op
    )
    const err = await failure(broken)
    expect(err).not.toBeInstanceOf(WriteConflict)
    expect(String((err as Error).message)).toMatch(
      /cannot store TEXT value in INTEGER column resource\.last_updated/
    )
    expect((await current(id)).version).toBe(1)
  })
})

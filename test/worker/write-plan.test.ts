// Write plans as plain data (src/fhir/rest/writes.ts, src/fhir/storage/plan-write.ts), checked without a
// database: which ops a create, an update, a patch and a delete of a known current row produce. The
// commit of such plans is tested against D1 in write-commit.test.ts.

import { describe, expect, it } from 'vitest'
import { extractIndexRows } from '../../src/fhir/index/extract.ts'
import { searchParam } from '../../src/fhir/index/registry.ts'
import { INDEX_KINDS } from '../../src/fhir/index/tables.ts'
import { planCreate, planDelete, planPatch, planUpdate } from '../../src/fhir/rest/writes.ts'
import { withServerFields } from '../../src/fhir/storage/plan-write.ts'
import { presentList } from '../../src/fhir/storage/index-rows.ts'
import type { StoredRow } from '../../src/fhir/storage/resources.ts'

const NOW = Date.UTC(2026, 5, 1)
const sp = (type: string, code: string) => searchParam(type, code)!.sp

const observation = (status: string) => ({
  resourceType: 'Observation',
  id: 'o1',
  status,
  code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] },
  subject: { reference: 'Patient/p1' },
  valueQuantity: {
    value: 120,
    unit: 'mm[Hg]',
    system: 'http://unitsofmeasure.org',
    code: 'mm[Hg]',
  },
})

/** The stored row of `resource` at `version` (pk 42), as storage would read it. */
function stored(resource: Record<string, unknown>, version: number, deleted = false): StoredRow {
  const lastUpdated = NOW - 1000
  return {
    pk: 42,
    version,
    lastUpdated,
    deleted,
    body: withServerFields(resource, 'Observation', 'o1', version, lastUpdated),
  }
}

describe('create (http.html#create)', () => {
  it('inserts the resource, its first history row and every index row, all keyed by type and id', () => {
    const { ops, result } = planCreate('Observation', 'o1', observation('final'), NOW)
    const body = withServerFields(observation('final'), 'Observation', 'o1', 1, NOW)
    const text = JSON.stringify(body)
    const rows = extractIndexRows(body)
    const resource = { type: 'Observation', id: 'o1' }
    expect(ops).toEqual([
      {
        kind: 'insertResource',
        type: 'Observation',
        id: 'o1',
        version: 1,
        lastUpdated: NOW,
        body: text,
        present: presentList(rows),
      },
      {
        kind: 'insertHistory',
        resource,
        type: 'Observation',
        id: 'o1',
        version: 1,
        lastUpdated: NOW,
        method: 'POST',
        body: text,
      },
      ...INDEX_KINDS.filter((k) => rows[k].length).map((table) => ({
        kind: 'insertIndexRows',
        table,
        resource,
        rows: rows[table],
      })),
    ])
    expect(result).toMatchObject({ status: 201, version: { version: 1, body } })
  })
})

describe('update (http.html#update)', () => {
  it('an update that changes one token: the lock, the row update, and exactly the removed and added token rows', () => {
    const current = stored(observation('final'), 3)
    const { ops, result } = planUpdate(
      'Observation',
      'o1',
      observation('amended'),
      current,
      undefined,
      NOW
    )
    const text = JSON.stringify(
      withServerFields(observation('amended'), 'Observation', 'o1', 4, NOW)
    )
    const status = sp('Observation', 'status')
    expect(ops).toEqual([
      {
        kind: 'insertHistory',
        resource: { pk: 42 },
        type: 'Observation',
        id: 'o1',
        version: 4,
        lastUpdated: NOW,
        method: 'PUT',
        body: text,
      },
      {
        kind: 'updateResource',
        pk: 42,
        expectedVersion: 3,
        version: 4,
        lastUpdated: NOW,
        body: text,
        present: presentList(extractIndexRows(observation('amended'))),
      },
      {
        kind: 'deleteIndexRows',
        table: 'token',
        pk: 42,
        rows: [{ sp: status, code: 'final', system: '' }],
      },
      {
        kind: 'insertIndexRows',
        table: 'token',
        resource: { pk: 42 },
        rows: [{ sp: status, code: 'amended', system: '' }],
      },
    ])
    expect(result).toMatchObject({ status: 200, version: { version: 4 } })
  })

  it('a body equal to the current version yields no ops and answers the current version', () => {
    const current = stored(observation('final'), 3)
    const { ops, result } = planUpdate(
      'Observation',
      'o1',
      observation('final'),
      current,
      undefined,
      NOW
    )
    expect(ops).toEqual([])
    expect(result).toMatchObject({ status: 200, version: { version: 3 } })
  })

  it('an update of a deleted resource inserts all its index rows again (201, a new version)', () => {
    const current = stored(observation('final'), 5, true)
    const { ops, result } = planUpdate(
      'Observation',
      'o1',
      observation('final'),
      current,
      undefined,
      NOW
    )
    const rows = extractIndexRows(
      withServerFields(observation('final'), 'Observation', 'o1', 6, NOW)
    )
    expect(ops.filter((op) => op.kind === 'deleteIndexRows')).toEqual([])
    expect(ops.filter((op) => op.kind === 'insertIndexRows')).toEqual(
      INDEX_KINDS.filter((k) => rows[k].length).map((table) => ({
        kind: 'insertIndexRows',
        table,
        resource: { pk: 42 },
        rows: rows[table],
      }))
    )
    expect(result.status).toBe(201)
  })

  it('a stale If-Match is a 412 before anything is planned (http.html#concurrency)', () => {
    const current = stored(observation('final'), 3)
    expect(() =>
      planUpdate('Observation', 'o1', observation('amended'), current, 'W/"2"', NOW)
    ).toThrow(expect.objectContaining({ status: 412 }))
  })
})

describe('patch (http.html#patch)', () => {
  it('a patch is planned as the update of the patched body, with method PATCH', () => {
    const current = stored(observation('final'), 1)
    const { ops } = planPatch(
      'Observation',
      'o1',
      [{ op: 'replace', path: '/status', value: 'amended' }],
      current,
      undefined,
      NOW
    )
    expect(ops[0]).toMatchObject({ kind: 'insertHistory', method: 'PATCH', version: 2 })
    expect(ops.filter((op) => op.kind === 'insertIndexRows')).toEqual([
      {
        kind: 'insertIndexRows',
        table: 'token',
        resource: { pk: 42 },
        rows: [{ sp: sp('Observation', 'status'), code: 'amended', system: '' }],
      },
    ])
  })
})

describe('delete (http.html#delete)', () => {
  it('a DELETE version without a body, the row marked deleted at the version read, and every index row removed', () => {
    const current = stored(observation('final'), 2)
    const { ops, result } = planDelete('Observation', 'o1', current, undefined, NOW)
    const rows = extractIndexRows(current.body)
    expect(ops).toEqual([
      {
        kind: 'insertHistory',
        resource: { pk: 42 },
        type: 'Observation',
        id: 'o1',
        version: 3,
        lastUpdated: NOW,
        method: 'DELETE',
        body: null,
      },
      { kind: 'markDeleted', pk: 42, expectedVersion: 2, version: 3, lastUpdated: NOW },
      ...INDEX_KINDS.filter((k) => rows[k].length).map((table) => ({
        kind: 'deleteIndexRows',
        table,
        pk: 42,
        rows: rows[table],
      })),
    ])
    expect(result).toMatchObject({ status: 204, version: { version: 3, body: null } })
  })

  it('deleting a missing or already deleted resource yields no ops (204)', () => {
    expect(planDelete('Observation', 'o1', null, undefined, NOW)).toMatchObject({
      ops: [],
      result: { status: 204 },
    })
    const gone = stored(observation('final'), 2, true)
    expect(planDelete('Observation', 'o1', gone, undefined, NOW)).toMatchObject({
      ops: [],
      result: { status: 204 },
    })
  })
})

// transaction Bundles that fail (R4 http.html#transaction): all or nothing in one D1 batch, per-entry
// authorisation, and the documented caps and malformed Bundles.

import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { allowedClient, call, json, uniqueId } from './helpers.ts'
import {
  clientAllowing,
  currentRow,
  indexRowCount,
  patchBinary,
  patient,
  postTransaction,
  rowsMentioning,
  versions,
  putPatient,
} from './rest-helpers.ts'

let auth: string
beforeAll(async () => {
  auth = (await allowedClient('tx')).auth
})

const transaction = (entry: unknown[], headers: Record<string, string> = {}, as = auth) =>
  postTransaction(as, entry, headers)

const put = (id: string, extra: Record<string, unknown> = {}) => putPatient(auth, id, extra)

describe('a transaction is all or nothing', () => {
  it('a failure in the D1 batch at entry N leaves nothing of entries 1..N-1 in resource, resource_history or the indexes', async () => {
    const marker = crypto.randomUUID()
    const identifier = { system: `http://example.org/tx/${marker}`, value: 'v' }
    const updated = uniqueId('keep')
    const deleted = uniqueId('keepdel')
    const blocked = uniqueId('blocked')
    await put(updated)
    await put(deleted)
    await put(blocked)
    const before = {
      updated: await currentRow('Patient', updated),
      deleted: await currentRow('Patient', deleted),
    }
    const indexBefore = await indexRowCount(before.updated!.pk)
    // Another writer has taken version 2 of `blocked` (its history row exists): the transaction's
    // update of it fails inside the batch, after the statements of every other entry.
    const row = await currentRow('Patient', blocked)
    await env.DB.prepare(
      "INSERT INTO resource_history (pk, version, type, id, last_updated, method, body) VALUES (?1, 2, 'Patient', ?2, 0, 'PUT', '{}')"
    )
      .bind(row!.pk, blocked)
      .run()
    const p = `urn:uuid:${crypto.randomUUID()}`
    const res = await transaction([
      {
        fullUrl: p,
        resource: patient(undefined, { identifier: [identifier] }),
        request: { method: 'POST', url: 'Patient' },
      },
      {
        resource: {
          resourceType: 'Observation',
          status: 'final',
          code: { coding: [{ system: identifier.system, code: 'c' }] },
          subject: { reference: p },
        },
        request: { method: 'POST', url: 'Observation' },
      },
      {
        resource: patient(updated, { identifier: [identifier], gender: 'female' }),
        request: { method: 'PUT', url: `Patient/${updated}` },
      },
      { request: { method: 'DELETE', url: `Patient/${deleted}` } },
      {
        resource: patient(blocked, { gender: 'female' }),
        request: { method: 'PUT', url: `Patient/${blocked}` },
      },
    ])
    expect(res.status).toBe(409)
    expect((await json(res)).issue[0].diagnostics).toMatch(/changed by other requests/)
    expect(await rowsMentioning(marker)).toBe(0)
    expect(await currentRow('Patient', updated)).toEqual(before.updated)
    expect(await currentRow('Patient', deleted)).toEqual(before.deleted)
    expect(await indexRowCount(before.updated!.pk)).toBe(indexBefore)
    expect((await versions('Patient', updated)).length).toBe(1)
    expect((await versions('Patient', deleted)).length).toBe(1)
  })

  it.each([
    [
      'a stale If-Match',
      412,
      (id: string) => ({
        resource: patient(id),
        request: { method: 'PUT', url: `Patient/${id}`, ifMatch: 'W/"9"' },
      }),
    ],
    [
      'a body id that differs from the URL',
      400,
      (id: string) => ({
        resource: patient('other'),
        request: { method: 'PUT', url: `Patient/${id}` },
      }),
    ],
    [
      'a failing JSON Patch',
      422,
      (id: string) => ({
        resource: patchBinary([{ op: 'test', path: '/gender', value: 'x' }]),
        request: { method: 'PATCH', url: `Patient/${id}` },
      }),
    ],
    [
      'a reference to a urn:uuid no entry has',
      400,
      () => ({
        resource: {
          resourceType: 'Observation',
          status: 'final',
          code: { text: 'x' },
          subject: { reference: 'urn:uuid:00000000-0000-0000-0000-000000000000' },
        },
        request: { method: 'POST', url: 'Observation' },
      }),
    ],
    [
      'a GET of a resource that does not exist',
      404,
      () => ({ request: { method: 'GET', url: `Patient/${uniqueId('nope')}` } }),
    ],
    [
      'an unknown resource type',
      404,
      () => ({
        resource: { resourceType: 'Spaceship' },
        request: { method: 'POST', url: 'Spaceship' },
      }),
    ],
  ])(
    '%s in the last entry fails the transaction (%i) and nothing is written',
    async (_label, status, last) => {
      const marker = crypto.randomUUID()
      const id = uniqueId('txfail')
      const other = uniqueId('txlast')
      await put(id)
      await put(other)
      const res = await transaction([
        {
          resource: patient(undefined, {
            identifier: [{ system: `http://example.org/tx/${marker}`, value: 'v' }],
          }),
          request: { method: 'POST', url: 'Patient' },
        },
        { request: { method: 'DELETE', url: `Patient/${id}` } },
        last(other),
      ])
      expect(res.status).toBe(status)
      const outcome = await json(res)
      expect(outcome.resourceType).toBe('OperationOutcome')
      expect(outcome.issue[0].diagnostics).toMatch(/^Bundle\.entry\[2\]: /)
      expect(await rowsMentioning(marker)).toBe(0)
      expect((await currentRow('Patient', id))!.deleted).toBe(0)
      expect((await versions('Patient', other)).length).toBe(1)
    }
  )

  it('400 when two entries act on the same resource, naming both', async () => {
    const id = uniqueId('dup')
    await put(id)
    const res = await transaction([
      { resource: patient(id), request: { method: 'PUT', url: `Patient/${id}` } },
      { request: { method: 'DELETE', url: `Patient/${id}` } },
    ])
    expect(res.status).toBe(400)
    expect((await json(res)).issue[0].diagnostics).toMatch(
      /Bundle\.entry\[1\] and Bundle\.entry\[0\] both act on Patient\//
    )
    expect((await versions('Patient', id)).length).toBe(1)
  })

  it('a GET entry the server would refuse (bad _count, _format=xml, strict unknown parameter) fails the transaction before it writes', async () => {
    const cases: [string, Record<string, string>, number][] = [
      ['Patient?_count=abc', {}, 400],
      ['Patient?_format=xml', {}, 406],
      ['Patient?bogus=1', { prefer: 'handling=strict' }, 400],
      ['Patient/_history?_since=yesterday', {}, 400],
    ]
    for (const [url, headers, status] of cases) {
      const id = uniqueId('getcheck')
      const res = await transaction(
        [
          { resource: patient(id), request: { method: 'PUT', url: `Patient/${id}` } },
          { request: { method: 'GET', url } },
        ],
        headers
      )
      expect(res.status, url).toBe(status)
      expect((await json(res)).issue[0].diagnostics, url).toMatch(/^Bundle\.entry\[1\]: /)
      expect(await versions('Patient', id), url).toEqual([])
    }
  })

  it('400 for two entries with the same fullUrl', async () => {
    const fullUrl = `urn:uuid:${crypto.randomUUID()}`
    const res = await transaction([
      { fullUrl, resource: patient(), request: { method: 'POST', url: 'Patient' } },
      { fullUrl, resource: patient(), request: { method: 'POST', url: 'Patient' } },
    ])
    expect(res.status).toBe(400)
  })
})

describe('authorisation of a transaction (docs/aidbox.md#bundles)', () => {
  it('needs FhirTransaction, and each entry its own operation: one denied entry fails it with 403 and writes nothing', async () => {
    const id = uniqueId('txauth')
    await put(id)
    const marker = crypto.randomUUID()
    const entries = [
      {
        resource: patient(undefined, {
          identifier: [{ system: `http://example.org/tx/${marker}`, value: 'v' }],
        }),
        request: { method: 'POST', url: 'Patient' },
      },
      { request: { method: 'DELETE', url: `Patient/${id}` } },
    ]
    const noBundle = await clientAllowing(['FhirCreate', 'FhirDelete'])
    expect((await transaction(entries, {}, noBundle)).status).toBe(403)
    const noDelete = await clientAllowing(['FhirTransaction', 'FhirCreate'])
    const denied = await transaction(entries, {}, noDelete)
    expect(denied.status).toBe(403)
    expect((await json(denied)).issue[0].diagnostics).toMatch(/^Bundle\.entry\[1\]: .*FhirDelete/)
    expect(await rowsMentioning(marker)).toBe(0)
    expect((await currentRow('Patient', id))!.deleted).toBe(0)
    const all = await clientAllowing(['FhirTransaction', 'FhirCreate', 'FhirDelete'])
    expect((await transaction(entries, {}, all)).status).toBe(200)
  })
})

describe('caps and malformed Bundles', () => {
  it('413 for more than 500 entries, saying why and what to do', async () => {
    const entry = Array.from({ length: 501 }, () => ({
      resource: patient(),
      request: { method: 'POST', url: 'Patient' },
    }))
    const res = await transaction(entry)
    expect(res.status).toBe(413)
    expect((await json(res)).issue[0].diagnostics).toMatch(
      /501 entries; at most 500 .* one D1 batch.*Split it/
    )
  })

  it('413 for a Bundle over 4 MiB, while a Bundle over 1 MiB is accepted', async () => {
    const text = (n: number) => ({
      status: 'generated',
      div: `<div xmlns="http://www.w3.org/1999/xhtml">${'x'.repeat(n)}</div>`,
    })
    const big = Array.from({ length: 5 }, () => ({
      resource: patient(undefined, { text: text(900_000) }),
      request: { method: 'POST', url: 'Patient' },
    }))
    const res = await transaction(big)
    expect(res.status).toBe(413)
    expect((await json(res)).issue[0].diagnostics).toMatch(/4194304-byte limit/)
    const medium = Array.from({ length: 2 }, () => ({
      resource: patient(undefined, { text: text(600_000) }),
      request: { method: 'POST', url: 'Patient' },
    }))
    expect((await transaction(medium)).status).toBe(200)
  })

  it('400 for a Bundle that is not a batch or transaction, or an entry without a request', async () => {
    const collection = await call('POST', '/fhir', {
      auth,
      body: { resourceType: 'Bundle', type: 'collection' },
    })
    expect(collection.status).toBe(400)
    expect((await json(collection)).issue[0].diagnostics).toMatch(/batch or transaction/)
    expect((await call('POST', '/fhir', { auth, body: patient() })).status).toBe(400)
    const noRequest = await transaction([{ resource: patient() }])
    expect(noRequest.status).toBe(400)
    expect((await json(noRequest)).issue[0].diagnostics).toBe(
      'Bundle.entry[0]: The entry has no request'
    )
  })

  it('accepts POST [base]/ with a trailing slash, as client libraries send it', async () => {
    const res = await call('POST', '/fhir/', {
      auth,
      body: {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [{ resource: patient(), request: { method: 'POST', url: 'Patient' } }],
      },
    })
    expect(res.status).toBe(200)
  })
})

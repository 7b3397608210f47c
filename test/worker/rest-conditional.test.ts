// Optimistic locking with If-Match (R4 http.html#concurrency) under concurrent writers, and the
// conditional interactions (#ccreate, #cond-update, #cdelete) with their 0 / 1 / many outcomes.

import { beforeAll, describe, expect, it } from 'vitest'
import { allowedClient, call, json, uniqueId } from './helpers.ts'
import { currentRow, patient, privateIdentifier, versions } from './rest-helpers.ts'

let auth: string
beforeAll(async () => {
  auth = (await allowedClient('cond')).auth
})

const put = (
  id: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {}
) => call('PUT', `/fhir/Patient/${id}`, { auth, body: patient(id, extra), headers })

const byIdentifier = (identifier: { system: string; value: string }) =>
  `identifier=${encodeURIComponent(`${identifier.system}|${identifier.value}`)}`

describe('If-Match: optimistic locking (http.html#concurrency)', () => {
  it('updates when If-Match names the current version and answers 412 when it is stale', async () => {
    const id = uniqueId('ifm')
    await put(id)
    const ok = await put(id, { gender: 'female' }, { 'if-match': 'W/"1"' })
    expect(ok.status).toBe(200)
    expect(ok.headers.get('etag')).toBe('W/"2"')
    const stale = await put(id, { gender: 'other' }, { 'if-match': 'W/"1"' })
    expect(stale.status).toBe(412)
    expect((await json(stale)).issue[0].diagnostics).toMatch(
      /does not match the current version .*W\/"2"/
    )
    expect((await versions('Patient', id)).length).toBe(2)
  })

  it('412 for If-Match on a resource that does not exist; 400 for an If-Match that is not an ETag', async () => {
    const id = uniqueId('ifmnew')
    expect((await put(id, {}, { 'if-match': 'W/"1"' })).status).toBe(412)
    expect(await currentRow('Patient', id)).toBeNull()
    expect((await put(id, {}, { 'if-match': 'version one' })).status).toBe(400)
  })

  it('applies to delete: 412 on a stale version, 204 on the current one', async () => {
    const id = uniqueId('ifmdel')
    await put(id)
    await put(id, { gender: 'female' })
    expect(
      (await call('DELETE', `/fhir/Patient/${id}`, { auth, headers: { 'if-match': 'W/"1"' } }))
        .status
    ).toBe(412)
    expect((await currentRow('Patient', id))!.deleted).toBe(0)
    expect(
      (await call('DELETE', `/fhir/Patient/${id}`, { auth, headers: { 'if-match': 'W/"2"' } }))
        .status
    ).toBe(204)
  })

  it('many parallel updates with the same If-Match: exactly one 200, the rest 412, history without gap or duplicate', async () => {
    for (let round = 0; round < 3; round++) {
      const id = uniqueId('race')
      await put(id)
      // workerd starts the first request of a burst ahead of the rest: a read goes first so that the
      // writers' reads of version 1 overlap and the version check inside the write batch is what decides.
      const [, ...statuses] = await Promise.all([
        call('GET', `/fhir/Patient/${id}`, { auth }).then((r) => r.status),
        ...Array.from({ length: 12 }, (_, i) =>
          put(
            id,
            { birthDate: `2000-01-${String(i + 1).padStart(2, '0')}` },
            { 'if-match': 'W/"1"' }
          ).then((r) => r.status)
        ),
      ])
      expect(statuses.filter((s) => s === 200)).toHaveLength(1)
      expect(statuses.filter((s) => s === 412)).toHaveLength(11)
      expect(await versions('Patient', id)).toEqual([
        { version: 1, method: 'PUT', body: true },
        { version: 2, method: 'PUT', body: true },
      ])
      expect((await currentRow('Patient', id))!.version).toBe(2)
    }
  })

  it('parallel unconditional updates all succeed as consecutive versions', async () => {
    const id = uniqueId('race2')
    await put(id)
    const statuses = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        put(id, { birthDate: `2001-01-0${i + 1}` }).then((r) => r.status)
      )
    )
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200])
    expect((await versions('Patient', id)).map((v) => v.version)).toEqual([1, 2, 3, 4, 5, 6, 7])
  })
})

describe('conditional create: If-None-Exist (http.html#ccreate)', () => {
  it('creates when nothing matches, answers 200 with the match when one does, 412 when several do', async () => {
    const identifier = privateIdentifier()
    const headers = { 'if-none-exist': byIdentifier(identifier) }
    const first = await call('POST', '/fhir/Patient', {
      auth,
      body: patient(undefined, { identifier: [identifier] }),
      headers,
    })
    expect(first.status).toBe(201)
    const created = await json(first)
    const again = await call('POST', '/fhir/Patient', {
      auth,
      body: patient(undefined, { identifier: [identifier] }),
      headers,
    })
    expect(again.status).toBe(200)
    expect((await json(again)).id).toBe(created.id)
    expect(again.headers.get('etag')).toBe('W/"1"')
    // A second one with the same identifier, created unconditionally, makes the criteria ambiguous.
    await call('POST', '/fhir/Patient', {
      auth,
      body: patient(undefined, { identifier: [identifier] }),
    })
    const many = await call('POST', '/fhir/Patient', {
      auth,
      body: patient(undefined, { identifier: [identifier] }),
      headers,
    })
    expect(many.status).toBe(412)
    expect((await json(many)).issue[0].diagnostics).toMatch(/More than one Patient matches/)
  })

  it('accepts the criteria with a leading Type? and refuses criteria it cannot apply (400)', async () => {
    const identifier = privateIdentifier()
    const res = await call('POST', '/fhir/Patient', {
      auth,
      body: patient(undefined, { identifier: [identifier] }),
      headers: { 'if-none-exist': `Patient?${byIdentifier(identifier)}` },
    })
    expect(res.status).toBe(201)
    const bad = await call('POST', '/fhir/Patient', {
      auth,
      body: patient(),
      headers: { 'if-none-exist': 'no-such-parameter=1' },
    })
    expect(bad.status).toBe(400)
  })
})

describe('conditional update: PUT Type?criteria (http.html#cond-update)', () => {
  it('no match and no id: creates with a server id (201)', async () => {
    const identifier = privateIdentifier()
    const res = await call('PUT', `/fhir/Patient?${byIdentifier(identifier)}`, {
      auth,
      body: patient(undefined, { identifier: [identifier] }),
    })
    expect(res.status).toBe(201)
    expect((await json(res)).id).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('no match with an id: creates at that id; 412 when that id is a live resource the criteria do not match', async () => {
    const identifier = privateIdentifier()
    const id = uniqueId('condnew')
    const res = await call('PUT', `/fhir/Patient?${byIdentifier(identifier)}`, {
      auth,
      body: patient(id, { identifier: [identifier] }),
    })
    expect(res.status).toBe(201)
    expect((await json(res)).id).toBe(id)
    const other = uniqueId('condother')
    await put(other)
    const clash = await call('PUT', `/fhir/Patient?${byIdentifier(privateIdentifier())}`, {
      auth,
      body: patient(other),
    })
    expect(clash.status).toBe(412)
    expect((await versions('Patient', other)).length).toBe(1)
  })

  it('one match: updates it (200, version 2); a body id that differs from the match is a 400', async () => {
    const identifier = privateIdentifier()
    const id = uniqueId('condone')
    await put(id, { identifier: [identifier] })
    const res = await call('PUT', `/fhir/Patient?${byIdentifier(identifier)}`, {
      auth,
      body: patient(undefined, { identifier: [identifier], gender: 'female' }),
    })
    expect(res.status).toBe(200)
    expect(await json(res)).toMatchObject({ id, gender: 'female', meta: { versionId: '2' } })
    const wrong = await call('PUT', `/fhir/Patient?${byIdentifier(identifier)}`, {
      auth,
      body: patient('someone-else', { identifier: [identifier] }),
    })
    expect(wrong.status).toBe(400)
    expect((await versions('Patient', id)).length).toBe(2)
  })

  it('several matches: 412 and nothing written', async () => {
    const identifier = privateIdentifier()
    const a = uniqueId('conda')
    const b = uniqueId('condb')
    await put(a, { identifier: [identifier] })
    await put(b, { identifier: [identifier] })
    const res = await call('PUT', `/fhir/Patient?${byIdentifier(identifier)}`, {
      auth,
      body: patient(undefined, { identifier: [identifier] }),
    })
    expect(res.status).toBe(412)
    expect((await versions('Patient', a)).length + (await versions('Patient', b)).length).toBe(2)
  })

  it('400 without criteria', async () => {
    expect((await call('PUT', '/fhir/Patient', { auth, body: patient() })).status).toBe(400)
  })
})

describe('conditional delete: DELETE Type?criteria (http.html#cdelete)', () => {
  it('one match is deleted; no match is a 204 that writes nothing; several matches are a 412', async () => {
    const identifier = privateIdentifier()
    const id = uniqueId('cdel')
    await put(id, { identifier: [identifier] })
    const res = await call('DELETE', `/fhir/Patient?${byIdentifier(identifier)}`, { auth })
    expect(res.status).toBe(204)
    expect((await call('GET', `/fhir/Patient/${id}`, { auth })).status).toBe(410)
    expect(
      (await call('DELETE', `/fhir/Patient?${byIdentifier(identifier)}`, { auth })).status
    ).toBe(204)
    expect((await versions('Patient', id)).length).toBe(2)

    const shared = privateIdentifier()
    const a = uniqueId('cdela')
    const b = uniqueId('cdelb')
    await put(a, { identifier: [shared] })
    await put(b, { identifier: [shared] })
    expect((await call('DELETE', `/fhir/Patient?${byIdentifier(shared)}`, { auth })).status).toBe(
      412
    )
    expect((await currentRow('Patient', a))!.deleted).toBe(0)
    expect((await currentRow('Patient', b))!.deleted).toBe(0)
  })

  it('400 without criteria', async () => {
    expect((await call('DELETE', '/fhir/Patient', { auth })).status).toBe(400)
  })
})

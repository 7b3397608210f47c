// read, vread, create, update and delete (R4 http.html#read, #vread, #create, #update, #delete), with
// version headers, conditional reads (#cread), Prefer (#ops) and the input errors that write nothing.

import { beforeAll, describe, expect, it } from 'vitest'
import { allowedClient, call, json, uniqueId } from './helpers.ts'
import {
  currentRow,
  indexRowCount,
  patient,
  privateIdentifier,
  rowsMentioning,
  versions,
  putPatient,
} from './rest-helpers.ts'

let auth: string
beforeAll(async () => {
  auth = (await allowedClient('crud')).auth
})

const put = (id: string, extra: Record<string, unknown> = {}) => putPatient(auth, id, extra)

describe('read (http.html#read)', () => {
  it('answers the current version with ETag W/"<versionId>" and Last-Modified', async () => {
    const id = uniqueId('read')
    await put(id)
    await put(id, { gender: 'female' })
    const res = await call('GET', `/fhir/Patient/${id}`, { auth })
    expect(res.status).toBe(200)
    expect(res.headers.get('etag')).toBe('W/"2"')
    const body = await json(res)
    expect(body).toMatchObject({
      resourceType: 'Patient',
      id,
      gender: 'female',
      meta: { versionId: '2' },
    })
    expect(res.headers.get('last-modified')).toBe(new Date(body.meta.lastUpdated).toUTCString())
  })

  it('404 for a resource that never existed, 404 for a type that is not R4, 400 for an invalid id', async () => {
    const missing = await call('GET', `/fhir/Patient/${uniqueId('never')}`, { auth })
    expect(missing.status).toBe(404)
    expect((await json(missing)).issue[0]).toMatchObject({ code: 'not-found' })
    const type = await call('GET', '/fhir/Patients/1', { auth })
    expect(type.status).toBe(404)
    expect((await json(type)).issue[0].diagnostics).toMatch(/Unknown resource type "Patients"/)
    const bad = await call('GET', `/fhir/Patient/${'x'.repeat(65)}`, { auth })
    expect(bad.status).toBe(400)
  })

  it('410 Gone for a deleted resource (http.html#read)', async () => {
    const id = uniqueId('gone')
    await put(id)
    expect((await call('DELETE', `/fhir/Patient/${id}`, { auth })).status).toBe(204)
    const res = await call('GET', `/fhir/Patient/${id}`, { auth })
    expect(res.status).toBe(410)
    expect((await json(res)).issue[0]).toMatchObject({ code: 'deleted' })
  })
})

describe('conditional read (http.html#cread)', () => {
  it('304 without a body when If-None-Match names the current version, 200 when it is stale', async () => {
    const id = uniqueId('inm')
    await put(id)
    await put(id, { gender: 'other' })
    const same = await call('GET', `/fhir/Patient/${id}`, {
      auth,
      headers: { 'if-none-match': 'W/"2"' },
    })
    expect(same.status).toBe(304)
    expect(same.headers.get('etag')).toBe('W/"2"')
    expect(await same.text()).toBe('')
    const stale = await call('GET', `/fhir/Patient/${id}`, {
      auth,
      headers: { 'if-none-match': 'W/"1"' },
    })
    expect(stale.status).toBe(200)
    expect(
      (await call('GET', `/fhir/Patient/${id}`, { auth, headers: { 'if-none-match': '*' } })).status
    ).toBe(304)
  })

  it('304 when unchanged since If-Modified-Since, 200 when changed after it; If-None-Match wins', async () => {
    const id = uniqueId('ims')
    const created = await put(id)
    const lastModified = created.headers.get('last-modified')!
    const notChanged = await call('GET', `/fhir/Patient/${id}`, {
      auth,
      headers: { 'if-modified-since': lastModified },
    })
    expect(notChanged.status).toBe(304)
    const earlier = new Date(Date.parse(lastModified) - 1000).toUTCString()
    expect(
      (
        await call('GET', `/fhir/Patient/${id}`, {
          auth,
          headers: { 'if-modified-since': earlier },
        })
      ).status
    ).toBe(200)
    const both = await call('GET', `/fhir/Patient/${id}`, {
      auth,
      headers: { 'if-modified-since': lastModified, 'if-none-match': 'W/"7"' },
    })
    expect(both.status).toBe(200)
    expect(
      (
        await call('GET', `/fhir/Patient/${id}`, {
          auth,
          headers: { 'if-modified-since': 'yesterday' },
        })
      ).status
    ).toBe(200)
  })

  it('400 for an If-None-Match that is not a version ETag', async () => {
    const id = uniqueId('badtag')
    await put(id)
    const res = await call('GET', `/fhir/Patient/${id}`, {
      auth,
      headers: { 'if-none-match': 'W/"abc"' },
    })
    expect(res.status).toBe(400)
    expect((await json(res)).issue[0].diagnostics).toMatch(/If-None-Match/)
  })
})

describe('vread (http.html#vread)', () => {
  it('answers each version as it was, with its ETag', async () => {
    const id = uniqueId('vread')
    await put(id, { gender: 'male' })
    await put(id, { gender: 'female' })
    for (const [v, gender] of [
      ['1', 'male'],
      ['2', 'female'],
    ]) {
      const res = await call('GET', `/fhir/Patient/${id}/_history/${v}`, { auth })
      expect(res.status).toBe(200)
      expect(res.headers.get('etag')).toBe(`W/"${v}"`)
      expect(await json(res)).toMatchObject({ id, gender, meta: { versionId: v } })
    }
  })

  it('404 for an unknown version or resource, 410 for the version that deleted it, 400 for an invalid version id', async () => {
    const id = uniqueId('vgone')
    await put(id)
    await call('DELETE', `/fhir/Patient/${id}`, { auth })
    const unknown = await call('GET', `/fhir/Patient/${id}/_history/3`, { auth })
    expect(unknown.status).toBe(404)
    expect((await json(unknown)).issue[0].diagnostics).toMatch(/Version 3 of Patient\/.* not found/)
    expect((await call('GET', `/fhir/Patient/${id}/_history/abc`, { auth })).status).toBe(404)
    expect((await call('GET', `/fhir/Patient/${id}/_history/a_b`, { auth })).status).toBe(400)
    const deletion = await call('GET', `/fhir/Patient/${id}/_history/2`, { auth })
    expect(deletion.status).toBe(410)
    expect((await call('GET', `/fhir/Patient/${id}/_history/1`, { auth })).status).toBe(200)
    const never = await call('GET', `/fhir/Patient/${uniqueId('nov')}/_history/1`, { auth })
    expect(never.status).toBe(404)
    expect((await json(never)).issue[0].diagnostics).toMatch(/^Resource Patient\/.* not found/)
  })
})

describe('create and update with Prefer (http.html#create, #update, #ops)', () => {
  it('POST answers 201 with the resource, Location, ETag and Last-Modified by default', async () => {
    const res = await call('POST', '/fhir/Patient', { auth, body: patient() })
    expect(res.status).toBe(201)
    const body = await json(res)
    expect(res.headers.get('location')).toBe(`https://fhir.test/fhir/Patient/${body.id}/_history/1`)
    expect(res.headers.get('etag')).toBe('W/"1"')
    expect(res.headers.get('last-modified')).toBe(new Date(body.meta.lastUpdated).toUTCString())
  })

  it('return=minimal answers no body but the same headers', async () => {
    const res = await call('POST', '/fhir/Patient', {
      auth,
      body: patient(),
      headers: { prefer: 'return=minimal' },
    })
    expect(res.status).toBe(201)
    expect(await res.text()).toBe('')
    const location = res.headers.get('location')!
    expect(location).toMatch(/\/fhir\/Patient\/[0-9a-f-]{36}\/_history\/1$/)
    expect((await call('GET', location.replace('https://fhir.test', ''), { auth })).status).toBe(
      200
    )
    const id = uniqueId('min')
    await put(id)
    const update = await call('PUT', `/fhir/Patient/${id}`, {
      auth,
      body: patient(id, { gender: 'female' }),
      headers: { prefer: 'return=minimal' },
    })
    expect(update.status).toBe(200)
    expect(update.headers.get('etag')).toBe('W/"2"')
    expect(await update.text()).toBe('')
  })

  it('return=OperationOutcome answers an OperationOutcome saying what was done', async () => {
    const id = uniqueId('oo')
    const res = await call('PUT', `/fhir/Patient/${id}`, {
      auth,
      body: patient(id),
      headers: { prefer: 'return=OperationOutcome' },
    })
    expect(res.status).toBe(201)
    expect(res.headers.get('etag')).toBe('W/"1"')
    expect(await json(res)).toEqual({
      resourceType: 'OperationOutcome',
      issue: [
        {
          severity: 'information',
          code: 'informational',
          diagnostics: `Created Patient/${id} (version 1)`,
        },
      ],
    })
  })

  it('return=representation answers the stored resource', async () => {
    const id = uniqueId('rep')
    const res = await call('PUT', `/fhir/Patient/${id}`, {
      auth,
      body: patient(id),
      headers: { prefer: 'return=representation' },
    })
    expect(await json(res)).toMatchObject({ resourceType: 'Patient', id, meta: { versionId: '1' } })
  })
})

describe('delete (http.html#delete)', () => {
  it('takes a version without a body, removes the index rows, and the resource is no longer found', async () => {
    const id = uniqueId('del')
    const identifier = privateIdentifier()
    await put(id, { identifier: [identifier] })
    const row = await currentRow('Patient', id)
    expect(await indexRowCount(row!.pk)).toBeGreaterThan(0)
    const res = await call('DELETE', `/fhir/Patient/${id}`, { auth })
    expect(res.status).toBe(204)
    expect(res.headers.get('etag')).toBe('W/"2"')
    expect(await res.text()).toBe('')
    expect(await versions('Patient', id)).toEqual([
      { version: 1, method: 'PUT', body: true },
      { version: 2, method: 'DELETE', body: false },
    ])
    expect(await currentRow('Patient', id)).toMatchObject({ version: 2, deleted: 1 })
    expect(await indexRowCount(row!.pk)).toBe(0)
    const search = await json(
      await call(
        'GET',
        `/fhir/Patient?identifier=${encodeURIComponent(`${identifier.system}|v1`)}`,
        { auth }
      )
    )
    expect(search.entry ?? []).toEqual([])
  })

  it('204 for a resource that does not exist or is already deleted, without a new version', async () => {
    const missing = uniqueId('nodel')
    expect((await call('DELETE', `/fhir/Patient/${missing}`, { auth })).status).toBe(204)
    expect(await currentRow('Patient', missing)).toBeNull()
    const id = uniqueId('twice')
    await put(id)
    await call('DELETE', `/fhir/Patient/${id}`, { auth })
    expect((await call('DELETE', `/fhir/Patient/${id}`, { auth })).status).toBe(204)
    expect((await versions('Patient', id)).map((v) => v.version)).toEqual([1, 2])
  })

  it('an update after a delete brings the resource back as version 3 (201)', async () => {
    const id = uniqueId('undel')
    await put(id)
    await call('DELETE', `/fhir/Patient/${id}`, { auth })
    const res = await call('PUT', `/fhir/Patient/${id}`, { auth, body: patient(id) })
    expect(res.status).toBe(201)
    expect(res.headers.get('etag')).toBe('W/"3"')
    expect((await call('GET', `/fhir/Patient/${id}`, { auth })).status).toBe(200)
    expect((await versions('Patient', id)).map((v) => v.method)).toEqual(['PUT', 'DELETE', 'PUT'])
  })

  it('Prefer: return=OperationOutcome answers 200 with an OperationOutcome', async () => {
    const id = uniqueId('deloo')
    await put(id)
    const res = await call('DELETE', `/fhir/Patient/${id}`, {
      auth,
      headers: { prefer: 'return=OperationOutcome' },
    })
    expect(res.status).toBe(200)
    expect((await json(res)).issue[0].diagnostics).toBe(`Deleted Patient/${id} (version 2)`)
  })
})

describe('input errors on create answer an OperationOutcome and write nothing', () => {
  it.each([
    [
      '400 for a resourceType that differs from the URL',
      'Patient',
      () => ({ ...patient(), resourceType: 'Observation' }),
      400,
    ],
    ['404 for a type that is not an R4 resource type', 'Spaceship', () => patient(), 404],
    ['400 for a JSON array', 'Patient', () => [patient()], 400],
  ])('%s', async (_label, type, makeBody, status) => {
    const marker = crypto.randomUUID()
    const body = makeBody() as any
    if (!Array.isArray(body)) body.name = [{ family: marker }]
    const res = await call('POST', `/fhir/${type}`, { auth, body })
    expect(res.status).toBe(status)
    expect((await json(res)).resourceType).toBe('OperationOutcome')
    expect(await rowsMentioning(marker)).toBe(0)
  })

  it('400 for malformed JSON, 413 over the size limit, 415 for XML', async () => {
    expect(
      (await call('POST', '/fhir/Patient', { auth, body: '{"resourceType":"Patient",' })).status
    ).toBe(400)
    const big = await call('POST', '/fhir/Patient', {
      auth,
      body: patient(undefined, { text: { div: 'x'.repeat(1_100_000) } }),
    })
    expect(big.status).toBe(413)
    expect((await json(big)).issue[0].diagnostics).toMatch(/1048576-byte limit/)
    const xml = await call('POST', '/fhir/Patient', {
      auth,
      body: '<Patient/>',
      headers: { 'content-type': 'application/fhir+xml' },
    })
    expect(xml.status).toBe(415)
    expect((await json(xml)).issue[0].diagnostics).toMatch(/only JSON/)
  })
})

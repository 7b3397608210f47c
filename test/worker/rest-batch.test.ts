// batch Bundles (R4 http.html#transaction, batch rules): independent entries, each with its own
// outcome and its own authorisation; GET entries answered like the same GET request.

import { beforeAll, describe, expect, it } from 'vitest'
import { allowedClient, call, json, uniqueId } from './helpers.ts'
import {
  clientAllowing,
  currentRow,
  patchBinary,
  patient,
  versions,
  putPatient,
} from './rest-helpers.ts'

let auth: string
beforeAll(async () => {
  auth = (await allowedClient('batch')).auth
})

const batch = (entry: unknown[], as = auth, headers: Record<string, string> = {}) =>
  call('POST', '/fhir', {
    auth: as,
    body: { resourceType: 'Bundle', type: 'batch', entry },
    headers,
  })

const put = (id: string, extra: Record<string, unknown> = {}) => putPatient(auth, id, extra)

describe('batch processing', () => {
  it('runs entries independently: failures get their own status and OperationOutcome, the rest is written', async () => {
    const id = uniqueId('b')
    const created = uniqueId('bnew')
    await put(id)
    const res = await batch([
      { resource: patient(created), request: { method: 'PUT', url: `Patient/${created}` } },
      { resource: patient('not-the-url-id'), request: { method: 'PUT', url: `Patient/${id}` } },
      { request: { method: 'GET', url: `Patient/${uniqueId('missing')}` } },
      { request: { method: 'DELETE', url: `Patient/${id}` } },
      { request: { method: 'FETCH', url: 'Patient' } },
      { resource: { resourceType: 'Spaceship' }, request: { method: 'POST', url: 'Spaceship' } },
    ])
    expect(res.status).toBe(200)
    const bundle = await json(res)
    expect(bundle.type).toBe('batch-response')
    expect(bundle.entry.map((e: any) => e.response.status)).toEqual([
      '201 Created',
      '400 Bad Request',
      '404 Not Found',
      '204 No Content',
      '400 Bad Request',
      '404 Not Found',
    ])
    expect(bundle.entry[1].response.outcome).toMatchObject({
      resourceType: 'OperationOutcome',
      issue: [{ code: 'invalid' }],
    })
    expect(bundle.entry[4].response.outcome.issue[0].diagnostics).toMatch(
      /^Bundle\.entry\[4\]: request\.method/
    )
    expect(bundle.entry[0].resource).toMatchObject({ id: created, meta: { versionId: '1' } })
    expect((await call('GET', `/fhir/Patient/${created}`, { auth })).status).toBe(200)
    expect((await call('GET', `/fhir/Patient/${id}`, { auth })).status).toBe(410)
  })

  it('authorises each entry on its own: a denied entry gets 403, the others run', async () => {
    const id = uniqueId('bauth')
    await put(id)
    const client = await clientAllowing(['FhirTransaction', 'FhirCreate', 'FhirRead'])
    const res = await batch(
      [
        { resource: patient(), request: { method: 'POST', url: 'Patient' } },
        { request: { method: 'DELETE', url: `Patient/${id}` } },
        { request: { method: 'GET', url: `Patient/${id}` } },
        { request: { method: 'GET', url: `Patient/${id}/_history` } },
      ],
      client
    )
    expect(res.status).toBe(200)
    const bundle = await json(res)
    expect(bundle.entry.map((e: any) => e.response.status)).toEqual([
      '201 Created',
      '403 Forbidden',
      '200 OK',
      '403 Forbidden',
    ])
    expect(bundle.entry[1].response.outcome.issue[0]).toMatchObject({
      code: 'forbidden',
      diagnostics: expect.stringMatching(/FhirDelete/),
    })
    expect((await currentRow('Patient', id))!.deleted).toBe(0)
    expect((await batch([], await clientAllowing(['FhirCreate']))).status).toBe(403)
  })

  it('answers GET entries like the GET request: read with ETag, vread, history, search, 304 for If-None-Match', async () => {
    const id = uniqueId('bget')
    await put(id)
    await put(id, { gender: 'female' })
    const res = await batch([
      { request: { method: 'GET', url: `Patient/${id}` } },
      { request: { method: 'GET', url: `Patient/${id}/_history/1` } },
      { request: { method: 'GET', url: `Patient/${id}/_history` } },
      { request: { method: 'GET', url: `Patient?_id=${id}` } },
      { request: { method: 'GET', url: `Patient/${id}`, ifNoneMatch: 'W/"2"' } },
      { request: { method: 'GET', url: 'metadata' } },
      { request: { method: 'GET', url: `?_type=Patient&_id=${id}` } },
    ])
    const [read, vread, history, search, notModified, metadata, system] = (await json(res)).entry
    expect(read).toMatchObject({
      fullUrl: `https://fhir.test/fhir/Patient/${id}`,
      resource: { id, gender: 'female' },
      response: { status: '200 OK', etag: 'W/"2"', lastModified: read.resource.meta.lastUpdated },
    })
    expect(vread.resource).toMatchObject({ meta: { versionId: '1' }, gender: 'male' })
    expect(history.resource).toMatchObject({ resourceType: 'Bundle', type: 'history' })
    expect(history.resource.entry).toHaveLength(2)
    expect(search.resource).toMatchObject({ resourceType: 'Bundle', type: 'searchset' })
    expect(search.resource.entry.map((e: any) => e.resource.id)).toEqual([id])
    expect(notModified.response.status).toBe('304 Not Modified')
    expect(notModified).not.toHaveProperty('resource')
    expect(metadata.resource.resourceType).toBe('CapabilityStatement')
    expect(system.resource.entry.map((e: any) => e.resource.id)).toEqual([id])
  })

  it('entries see the writes of earlier entries: If-Match of the version an earlier entry made', async () => {
    const id = uniqueId('bseq')
    await put(id)
    const res = await batch([
      {
        resource: patient(id, { gender: 'female' }),
        request: { method: 'PUT', url: `Patient/${id}`, ifMatch: 'W/"1"' },
      },
      {
        resource: patchBinary([{ op: 'replace', path: '/gender', value: 'other' }]),
        request: { method: 'PATCH', url: `Patient/${id}`, ifMatch: 'W/"2"' },
      },
      { resource: patient(id), request: { method: 'PUT', url: `Patient/${id}`, ifMatch: 'W/"1"' } },
    ])
    expect((await json(res)).entry.map((e: any) => e.response.status)).toEqual([
      '200 OK',
      '200 OK',
      '412 Precondition Failed',
    ])
    expect((await versions('Patient', id)).map((v) => v.method)).toEqual(['PUT', 'PUT', 'PATCH'])
  })

  it('a batch entry in a batch is refused; an empty batch answers an empty batch-response', async () => {
    const nested = await batch([
      { resource: { resourceType: 'Bundle', type: 'batch' }, request: { method: 'POST', url: '' } },
    ])
    expect((await json(nested)).entry[0].response.status).toBe('400 Bad Request')
    const empty = await batch([])
    expect(await json(empty)).toEqual({ resourceType: 'Bundle', type: 'batch-response' })
  })
})

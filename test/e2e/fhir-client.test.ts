// End to end against a real `wrangler dev`, driven by a published FHIR client library (fhir-kit-client
// from npm) exactly as an application would use it: capabilities, create, read, update, vread,
// history, search, patch, delete, and a transaction with urn:uuid references (R4 http.html).

import { Client } from 'fhir-kit-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { basicHeader, startIsolatedDev, type DevServer } from '../../scripts/local.ts'

const ROOT = { id: 'e2e-root', secret: 'e2e-root-secret-0123456789' }

let server: DevServer
let client: Client

beforeAll(async () => {
  server = await startIsolatedDev(ROOT)
  client = new Client({
    baseUrl: `${server.url}/fhir`,
    customHeaders: { authorization: basicHeader(ROOT.id, ROOT.secret) },
  })
})

afterAll(async () => {
  await server?.stop()
})

/** The HTTP status of a request the client rejected. */
async function statusOf(request: Promise<unknown>): Promise<number> {
  try {
    await request
  } catch (err) {
    return (err as { response?: { status: number } }).response?.status ?? -1
  }
  return 200
}

const identifier = { system: 'http://example.org/e2e-mrn', value: `mrn-${Date.now()}` }

describe('a FHIR application using fhir-kit-client', () => {
  let id: string

  it('reads the CapabilityStatement without credentials', async () => {
    const anonymous = new Client({ baseUrl: `${server.url}/fhir` })
    const cs = (await anonymous.capabilityStatement()) as any
    expect(cs).toMatchObject({
      resourceType: 'CapabilityStatement',
      fhirVersion: '4.0.1',
      status: 'active',
    })
    expect(cs.rest[0].resource.find((r: any) => r.type === 'Patient').interaction).toContainEqual({
      code: 'vread',
    })
  })

  it('creates, reads and updates a Patient', async () => {
    const created = (await client.create({
      resourceType: 'Patient',
      body: {
        resourceType: 'Patient',
        identifier: [identifier],
        name: [{ family: 'Chalmers', given: ['Peter'] }],
        gender: 'male',
      },
    })) as any
    expect(created.meta.versionId).toBe('1')
    id = created.id
    const read = (await client.read({ resourceType: 'Patient', id })) as any
    expect(read).toEqual(created)
    const updated = (await client.update({
      resourceType: 'Patient',
      id,
      body: { ...read, gender: 'female' },
      options: { headers: { 'if-match': 'W/"1"' } },
    })) as any
    expect(updated).toMatchObject({ id, gender: 'female', meta: { versionId: '2' } })
    const stale = await statusOf(
      client.update({
        resourceType: 'Patient',
        id,
        body: read,
        options: { headers: { 'if-match': 'W/"1"' } },
      })
    )
    expect(stale).toBe(412)
  })

  it('reads an earlier version (vread) and the history', async () => {
    const v1 = (await client.vread({ resourceType: 'Patient', id, version: '1' })) as any
    expect(v1).toMatchObject({ gender: 'male', meta: { versionId: '1' } })
    const history = (await client.history({ resourceType: 'Patient', id })) as any
    expect(history.type).toBe('history')
    expect(history.entry.map((e: any) => e.resource.meta.versionId)).toEqual(['2', '1'])
  })

  it('searches by identifier', async () => {
    const bundle = (await client.search({
      resourceType: 'Patient',
      searchParams: { identifier: `${identifier.system}|${identifier.value}` },
    })) as any
    expect(bundle.type).toBe('searchset')
    expect(bundle.entry.map((e: any) => e.resource.id)).toEqual([id])
  })

  it('patches with JSON Patch', async () => {
    const patched = (await client.patch({
      resourceType: 'Patient',
      id,
      jsonPatch: [{ op: 'add', path: '/birthDate', value: '1974-12-25' }],
    })) as any
    expect(patched).toMatchObject({ birthDate: '1974-12-25', meta: { versionId: '3' } })
  })

  it('posts a transaction whose Observation references the Patient it creates', async () => {
    const patientUrl = `urn:uuid:${crypto.randomUUID()}`
    const response = (await client.transaction({
      body: {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          {
            resource: {
              resourceType: 'Observation',
              status: 'final',
              code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] },
              subject: { reference: patientUrl },
              valueQuantity: { value: 72, unit: 'kg' },
            },
            request: { method: 'POST', url: 'Observation' },
          },
          {
            fullUrl: patientUrl,
            resource: { resourceType: 'Patient', name: [{ family: 'Baxter' }] },
            request: { method: 'POST', url: 'Patient' },
          },
        ],
      },
    })) as any
    expect(response.type).toBe('transaction-response')
    expect(response.entry.map((e: any) => e.response.status)).toEqual([
      '201 Created',
      '201 Created',
    ])
    const [obsId] = response.entry[0].response.location.split('/_history')[0].split('/').slice(1)
    const newPatient = response.entry[1].resource.id
    const obs = (await client.read({ resourceType: 'Observation', id: obsId })) as any
    expect(obs.subject.reference).toBe(`Patient/${newPatient}`)
    const batch = (await client.batch({
      body: {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [
          { request: { method: 'GET', url: `Patient/${newPatient}` } },
          { request: { method: 'GET', url: 'Patient/does-not-exist' } },
        ],
      },
    })) as any
    expect(batch.entry.map((e: any) => e.response.status)).toEqual(['200 OK', '404 Not Found'])
  })

  it('deletes the Patient: a read is then 410 Gone, and the history shows the deletion', async () => {
    await client.delete({ resourceType: 'Patient', id })
    expect(await statusOf(client.read({ resourceType: 'Patient', id }))).toBe(410)
    const history = (await client.history({ resourceType: 'Patient', id })) as any
    expect(history.entry[0]).toMatchObject({
      request: { method: 'DELETE' },
      response: { etag: 'W/"4"' },
    })
    expect(history.entry[0]).not.toHaveProperty('resource')
  })
})

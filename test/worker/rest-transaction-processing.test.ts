// transaction Bundles that commit (R4 http.html#transaction, #trules, bundle.html#references):
// urn:uuid references resolved, the spec's processing order, transaction-response entries,
// PATCH entries, Prefer, conditional entries and conditional references.

import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { allowedClient, call, json, uniqueId } from './helpers.ts'
import {
  currentRow,
  patchBinary,
  patient,
  postTransaction,
  privateIdentifier,
  putPatient,
  rowsMentioning,
  versions,
} from './rest-helpers.ts'

let auth: string
beforeAll(async () => {
  auth = (await allowedClient('tx')).auth
})

const transaction = (entry: unknown[], headers: Record<string, string> = {}, as = auth) =>
  postTransaction(as, entry, headers)

const put = (id: string, extra: Record<string, unknown> = {}) => putPatient(auth, id, extra)

describe('transaction processing (http.html#transaction)', () => {
  it('creates every entry and resolves urn:uuid fullUrls in references at any depth and in the narrative', async () => {
    const p = `urn:uuid:${crypto.randomUUID()}`
    const e = `urn:uuid:${crypto.randomUUID()}`
    const encounterId = uniqueId('enc')
    const res = await transaction([
      {
        fullUrl: `urn:uuid:${crypto.randomUUID()}`,
        resource: {
          resourceType: 'Observation',
          status: 'final',
          code: { text: 'weight' },
          subject: { reference: p },
          encounter: { reference: e },
          identifier: [{ system: 'urn:ietf:rfc:3986', value: p }],
          extension: [{ url: 'http://example.org/ext', valueReference: { reference: p } }],
          contained: [
            {
              resourceType: 'Provenance',
              id: 'prov',
              target: [{ reference: p }],
              recorded: '2024-01-01T00:00:00Z',
              agent: [{ who: { display: 'x' } }],
            },
          ],
          text: {
            status: 'generated',
            div: `<div xmlns="http://www.w3.org/1999/xhtml"><a href="${p}">patient</a></div>`,
          },
        },
        request: { method: 'POST', url: 'Observation' },
      },
      { fullUrl: p, resource: patient(), request: { method: 'POST', url: 'Patient' } },
      {
        fullUrl: e,
        resource: {
          resourceType: 'Encounter',
          id: encounterId,
          status: 'finished',
          class: { code: 'AMB' },
          subject: { reference: p },
        },
        request: { method: 'PUT', url: `Encounter/${encounterId}` },
      },
    ])
    expect(res.status).toBe(200)
    const bundle = await json(res)
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'transaction-response' })
    const [obsEntry, patientEntry, encEntry] = bundle.entry
    expect(patientEntry.response).toMatchObject({ status: '201 Created', etag: 'W/"1"' })
    const patientId = patientEntry.resource.id
    expect(patientEntry.response.location).toBe(`Patient/${patientId}/_history/1`)
    expect(patientEntry.fullUrl).toBe(`https://fhir.test/fhir/Patient/${patientId}`)
    expect(patientEntry.response.lastModified).toBe(patientEntry.resource.meta.lastUpdated)
    expect(encEntry.response).toMatchObject({
      status: '201 Created',
      location: `Encounter/${encounterId}/_history/1`,
    })

    const obs = await json(
      await call('GET', `/fhir/${obsEntry.response.location.replace(/\/_history\/1$/, '')}`, {
        auth,
      })
    )
    expect(obs.subject.reference).toBe(`Patient/${patientId}`)
    expect(obs.encounter.reference).toBe(`Encounter/${encounterId}`)
    expect(obs.extension[0].valueReference.reference).toBe(`Patient/${patientId}`)
    expect(obs.contained[0].target[0].reference).toBe(`Patient/${patientId}`)
    expect(obs.text.div).toContain(`href="Patient/${patientId}"`)
    // An Identifier.value is a string, not a reference: kept as sent.
    expect(obs.identifier[0].value).toBe(p)
    const enc = await json(await call('GET', `/fhir/Encounter/${encounterId}`, { auth }))
    expect(enc.subject.reference).toBe(`Patient/${patientId}`)
    // The index holds the resolved reference.
    const obsRow = await currentRow('Observation', obs.id)
    const ref = await env.DB.prepare(
      'SELECT count(*) AS n FROM ix_ref WHERE pk = ?1 AND target = ?2'
    )
      .bind(obsRow!.pk, `Patient/${patientId}`)
      .first<{ n: number }>()
    expect(ref!.n).toBeGreaterThan(0)
  })

  it('answers entries in request order, runs GET entries after the writes, and shares one lastUpdated', async () => {
    const id = uniqueId('order')
    const gone = uniqueId('order-del')
    await put(id)
    await put(gone)
    const res = await transaction([
      { request: { method: 'GET', url: `Patient/${id}` } },
      {
        resource: patient(id, { gender: 'female' }),
        request: { method: 'PUT', url: `Patient/${id}` },
      },
      { request: { method: 'DELETE', url: `Patient/${gone}` } },
      { resource: patient(), request: { method: 'POST', url: 'Patient' } },
    ])
    expect(res.status).toBe(200)
    const bundle = await json(res)
    expect(bundle.entry.map((e: any) => e.response.status)).toEqual([
      '200 OK',
      '200 OK',
      '204 No Content',
      '201 Created',
    ])
    // The GET is processed last (DELETE, POST, PUT/PATCH, GET): it sees the update.
    expect(bundle.entry[0].resource).toMatchObject({
      id,
      gender: 'female',
      meta: { versionId: '2' },
    })
    expect(bundle.entry[2].response.etag).toBe('W/"2"')
    const stamps = new Set([
      bundle.entry[1].response.lastModified,
      bundle.entry[2].response.lastModified,
      bundle.entry[3].response.lastModified,
    ])
    expect(stamps.size).toBe(1)
    expect((await call('GET', `/fhir/Patient/${gone}`, { auth })).status).toBe(410)
  })

  it('applies a PATCH entry carried as a Binary, and Prefer: return=minimal leaves resources out', async () => {
    const id = uniqueId('txpatch')
    await put(id)
    const res = await transaction(
      [
        {
          resource: patchBinary([{ op: 'replace', path: '/gender', value: 'female' }]),
          request: { method: 'PATCH', url: `Patient/${id}` },
        },
      ],
      { prefer: 'return=minimal' }
    )
    expect(res.status).toBe(200)
    const [entry] = (await json(res)).entry
    expect(entry).not.toHaveProperty('resource')
    expect(entry.response).toMatchObject({
      status: '200 OK',
      etag: 'W/"2"',
      location: `Patient/${id}/_history/2`,
    })
    expect((await versions('Patient', id)).map((v) => v.method)).toEqual(['PUT', 'PATCH'])
  })

  it('Prefer: return=OperationOutcome puts an outcome in each entry response', async () => {
    const res = await transaction(
      [{ resource: patient(), request: { method: 'POST', url: 'Patient' } }],
      { prefer: 'return=OperationOutcome' }
    )
    const [entry] = (await json(res)).entry
    expect(entry.response.outcome.issue[0]).toMatchObject({
      severity: 'information',
      diagnostics: expect.stringMatching(/^Created Patient\//),
    })
  })

  it('resolves conditional entries: If-None-Exist to the existing resource, conditional update to its match', async () => {
    const identifier = privateIdentifier()
    const existing = uniqueId('condtx')
    await put(existing, { identifier: [identifier] })
    const query = `identifier=${encodeURIComponent(`${identifier.system}|${identifier.value}`)}`
    const p = `urn:uuid:${crypto.randomUUID()}`
    const res = await transaction([
      {
        fullUrl: p,
        resource: patient(undefined, { identifier: [identifier] }),
        request: { method: 'POST', url: 'Patient', ifNoneExist: query },
      },
      {
        resource: {
          resourceType: 'Observation',
          status: 'final',
          code: { text: 'x' },
          subject: { reference: p },
        },
        request: { method: 'POST', url: 'Observation' },
      },
    ])
    expect(res.status).toBe(200)
    const bundle = await json(res)
    expect(bundle.entry[0].response.status).toBe('200 OK')
    expect(bundle.entry[0].resource.id).toBe(existing)
    expect(bundle.entry[1].resource.subject.reference).toBe(`Patient/${existing}`)

    const update = await transaction([
      {
        resource: patient(undefined, { identifier: [identifier], gender: 'female' }),
        request: { method: 'PUT', url: `Patient?${query}` },
      },
    ])
    expect((await json(update)).entry[0]).toMatchObject({
      response: { status: '200 OK', etag: 'W/"2"' },
      resource: { id: existing, gender: 'female' },
    })
  })
})

describe('conditional references (http.html#trules)', () => {
  const observation = (reference: string) => ({
    resource: {
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'x' },
      subject: { reference },
    },
    request: { method: 'POST', url: 'Observation' },
  })

  it('resolve to the stored match, or to the create of this transaction with the same If-None-Exist', async () => {
    const stored = privateIdentifier()
    const id = uniqueId('cref')
    await put(id, { identifier: [stored] })
    const fresh = privateIdentifier()
    const freshQuery = `identifier=${encodeURIComponent(`${fresh.system}|${fresh.value}`)}`
    const res = await transaction([
      observation(`Patient?identifier=${encodeURIComponent(`${stored.system}|${stored.value}`)}`),
      observation(`Patient?${freshQuery}`),
      {
        resource: patient(undefined, { identifier: [fresh] }),
        request: { method: 'POST', url: 'Patient', ifNoneExist: freshQuery },
      },
    ])
    expect(res.status).toBe(200)
    const [a, b, created] = (await json(res)).entry
    expect(a.resource.subject.reference).toBe(`Patient/${id}`)
    expect(b.resource.subject.reference).toBe(`Patient/${created.resource.id}`)
  })

  it('412 when the criteria match nothing or several resources, and nothing is written', async () => {
    const marker = crypto.randomUUID()
    const mine = {
      resource: patient(undefined, {
        identifier: [{ system: `http://example.org/tx/${marker}`, value: 'v' }],
      }),
      request: { method: 'POST', url: 'Patient' },
    }
    const none = await transaction([
      mine,
      observation(`Patient?identifier=${encodeURIComponent(`${privateIdentifier().system}|x`)}`),
    ])
    expect(none.status).toBe(412)
    expect((await json(none)).issue[0].diagnostics).toMatch(/matches no Patient/)
    const shared = privateIdentifier()
    await put(uniqueId('crefa'), { identifier: [shared] })
    await put(uniqueId('crefb'), { identifier: [shared] })
    const many = await transaction([
      mine,
      observation(`Patient?identifier=${encodeURIComponent(`${shared.system}|${shared.value}`)}`),
    ])
    expect(many.status).toBe(412)
    expect(await rowsMentioning(marker)).toBe(0)
  })
})

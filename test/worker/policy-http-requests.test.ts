// AccessPolicies through the HTTP API (docs/access-policies.md#how-a-request-is-authorised): what
// policies see of real requests: a matcho-limited client, batch and transaction Bundles authorised
// entry by entry, POST _search form fields, and resource/type and resource/id on admin routes.

import { describe, expect, it } from 'vitest'
import { call, json, ROOT, uniqueId } from './helpers.ts'
import { clientWith, putAsRoot } from './policy-helpers.ts'

describe('a client limited by matcho to GET on Patient and Observation (the example atop docs/access-policies.md)', () => {
  const readOnly = {
    engine: 'matcho',
    matcho: {
      'request-method': 'get',
      params: { 'resource/type': { $enum: ['Patient', 'Observation'] } },
    },
  }

  it('reads and searches Patient and Observation, and is 403 for a write or another type', async () => {
    const { auth } = await clientWith(readOnly)
    const pt = uniqueId('pt')
    await putAsRoot('Patient', pt)
    await putAsRoot('Encounter', pt, { status: 'finished', class: { code: 'AMB' } })
    expect((await call('GET', `/fhir/Patient/${pt}`, { auth })).status).toBe(200)
    expect((await call('GET', '/fhir/Observation?_count=1', { auth })).status).toBe(200)
    const post = await call('POST', '/fhir/Patient', { auth, body: { resourceType: 'Patient' } })
    expect(post.status).toBe(403)
    expect((await json(post)).issue[0].code).toBe('forbidden')
    expect(
      (
        await call('PUT', `/fhir/Patient/${pt}`, {
          auth,
          body: { resourceType: 'Patient', id: pt },
        })
      ).status
    ).toBe(403)
    expect((await call('GET', `/fhir/Encounter/${pt}`, { auth })).status).toBe(403)
    expect((await call('GET', '/fhir/Encounter', { auth })).status).toBe(403)
    // the admin API names its type too: /Client/x is resource/type Client
    expect((await call('GET', `/Client/${uniqueId('x')}`, { auth })).status).toBe(403)
    // and the root client still does anything
    expect((await call('GET', `/fhir/Encounter/${pt}`, { auth: ROOT })).status).toBe(200)
  })

  it('cannot pose as a route with ?resource/type=Patient on a route that has no type', async () => {
    const { auth } = await clientWith({
      engine: 'matcho',
      matcho: { params: { 'resource/type': 'Patient' } },
    })
    const res = await call('POST', '/auth/test-policy?resource/type=Patient', {
      auth,
      body: { policy: { engine: 'allow' } },
    })
    expect(res.status).toBe(403)
  })
})

describe('batch and transaction Bundles (docs/access-policies.md#batch-and-transaction-bundles)', () => {
  const policy = {
    engine: 'matcho',
    matcho: {
      'request-method': { $enum: ['get', 'post'] },
      operation: { id: { $enum: ['FhirTransaction', 'FhirRead'] } },
    },
  }

  it('authorises every batch entry on its own: a denied entry answers 403 inside a 200 Bundle', async () => {
    const { auth } = await clientWith(policy)
    const pt = uniqueId('pt')
    await putAsRoot('Patient', pt)
    const res = await call('POST', '/fhir', {
      auth,
      body: {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [
          { request: { method: 'GET', url: `Patient/${pt}` } },
          { request: { method: 'POST', url: 'Patient' }, resource: { resourceType: 'Patient' } },
          { request: { method: 'GET', url: 'Patient?_count=1' } },
        ],
      },
    })
    expect(res.status).toBe(200)
    const bundle = await json(res)
    expect(bundle.type).toBe('batch-response')
    expect(bundle.entry.map((e: any) => e.response.status.slice(0, 3))).toEqual([
      '200',
      '403',
      '403',
    ])
    expect(bundle.entry[1].response.outcome.issue[0].code).toBe('forbidden')
  })

  it('needs FhirTransaction for the Bundle itself', async () => {
    const { auth } = await clientWith({
      engine: 'matcho',
      matcho: { operation: { id: 'FhirRead' } },
    })
    const res = await call('POST', '/fhir', {
      auth,
      body: { resourceType: 'Bundle', type: 'batch', entry: [] },
    })
    expect(res.status).toBe(403)
  })

  it('fails a transaction as a whole when one entry is denied, writing nothing', async () => {
    const { auth } = await clientWith(policy)
    const existing = uniqueId('pt')
    await putAsRoot('Patient', existing)
    const pt = uniqueId('pt')
    const res = await call('POST', '/fhir', {
      auth,
      body: {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { request: { method: 'GET', url: `Patient/${existing}` } },
          {
            request: { method: 'PUT', url: `Patient/${pt}` },
            resource: { resourceType: 'Patient', id: pt },
          },
        ],
      },
    })
    expect(res.status).toBe(403)
    expect((await call('GET', `/fhir/Patient/${pt}`, { auth: ROOT })).status).toBe(404)
  })
})

describe('POST _search cannot hide parameters from policies (Aidbox: form params join params)', () => {
  it('sees form fields: a policy requiring _include to be absent refuses it in the body too', async () => {
    const { auth } = await clientWith({
      engine: 'matcho',
      matcho: { params: { 'resource/type': 'Observation', _include: 'nil?', _revinclude: 'nil?' } },
    })
    const form = (body: string) =>
      call('POST', '/fhir/Observation/_search', {
        auth,
        body,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      })
    expect((await form('code=4548-4&_count=1')).status).toBe(200)
    expect((await form('code=4548-4&_include=Observation:subject')).status).toBe(403)
    expect(
      (await call('GET', '/fhir/Observation?_include=Observation:subject', { auth })).status
    ).toBe(403)
  })
})

describe('admin routes expose resource/type and resource/id to policies', () => {
  it('never shows a Client secret written through PUT /Client/:id to policies', async () => {
    const { auth } = await clientWith({
      engine: 'matcho',
      matcho: {
        'request-method': 'put',
        params: { 'resource/type': 'Client' },
        body: { secret: 'present?' },
      },
    })
    const target = uniqueId('target')
    const res = await call('PUT', `/Client/${target}`, {
      auth,
      body: { secret: 'plain-secret', grant_types: ['basic'] },
    })
    expect(res.status).toBe(403)
  })

  it('lets a policy on params.resource/type "Client" read Clients but not AccessPolicies', async () => {
    const { id, auth } = await clientWith({
      engine: 'matcho',
      matcho: { 'request-method': 'get', params: { 'resource/type': 'Client' } },
    })
    expect((await call('GET', `/Client/${id}`, { auth })).status).toBe(200)
    expect((await call('GET', `/AccessPolicy/${id}-policy`, { auth })).status).toBe(403)
    expect((await call('DELETE', `/Client/${id}`, { auth })).status).toBe(403)
  })
})

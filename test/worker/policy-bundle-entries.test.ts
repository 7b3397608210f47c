// Bundle entries authorised as their own requests, through the real batch endpoint: the entry's
// method, path, params and body with the Bundle request's headers, and as body only what the
// entry's interaction acts on.

import { describe, expect, it } from 'vitest'
import { basic, call, json, registerClient, ROOT, uniqueId } from './helpers.ts'

async function registeredClient(prefix: string): Promise<{ id: string; auth: string }> {
  const id = uniqueId(prefix)
  await registerClient(id, 'pw-entry-123')
  return { id, auth: basic(id, 'pw-entry-123') }
}

describe('Bundle entries are authorised as their own request (R4 http.html#transaction)', () => {
  it('evaluates the entry method, path, params and body, with the headers of the Bundle request', async () => {
    const { id: clientId, auth } = await registeredClient('bundle-client')
    const [one, other] = [uniqueId('pt'), uniqueId('pt')]
    const policy = await call('PUT', `/AccessPolicy/${uniqueId('entry-policy')}`, {
      auth: ROOT,
      body: {
        engine: 'complex',
        or: [
          { engine: 'matcho', matcho: { operation: { id: 'FhirTransaction' } } },
          {
            engine: 'matcho',
            matcho: {
              'request-method': 'put',
              uri: `/fhir/Patient/${one}`,
              params: { 'resource/type': 'Patient', 'resource/id': one, _pretty: 'true' },
              body: { resourceType: 'Patient', id: one },
              operation: { id: 'FhirUpdate' },
              headers: { 'x-bundle': 'outer' },
            },
          },
        ],
        link: [{ reference: `Client/${clientId}` }],
      },
    })
    expect(policy.status).toBe(201)
    const put = (url: string, id: string) => ({
      resource: { resourceType: 'Patient', id },
      request: { method: 'PUT', url },
    })
    const res = await call('POST', '/fhir', {
      auth,
      headers: { 'x-bundle': 'outer' },
      body: {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [
          put(`Patient/${one}?_pretty=true`, one),
          put(`/Patient/${one}?_pretty=true`, one),
          put(`Patient/${other}?_pretty=true`, other),
          {
            resource: { resourceType: 'Patient', id: one },
            request: { method: 'POST', url: 'Patient?_pretty=true' },
          },
          put(`Patient/${one}?_pretty=true`, 'different-id'),
          put(`Patient/${one}`, one),
        ],
      },
    })
    expect(res.status).toBe(200)
    const statuses = (await json(res)).entry.map(
      (e: { response: { status: string } }) => e.response.status
    )
    expect(statuses).toEqual([
      '201 Created',
      '200 OK',
      '403 Forbidden',
      '403 Forbidden',
      '403 Forbidden',
      '403 Forbidden',
    ])
    const without = await call('POST', '/fhir', {
      auth,
      body: {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [put(`Patient/${one}?_pretty=true`, one)],
      },
    })
    expect((await json(without)).entry[0].response.status).toBe('403 Forbidden')
  })
})

describe('what a policy sees as the body is what the interaction acts on', () => {
  /** A client allowed FhirTransaction, plus `policy` (linked to it). */
  async function clientWith(policy: Record<string, unknown>): Promise<string> {
    const { id, auth } = await registeredClient('body-client')
    const link = [{ reference: `Client/${id}` }]
    for (const body of [
      { engine: 'matcho', matcho: { operation: { id: 'FhirTransaction' } } },
      policy,
    ]) {
      const res = await call('PUT', `/AccessPolicy/${uniqueId('p')}`, {
        auth: ROOT,
        body: { ...body, link },
      })
      expect(res.status).toBe(201)
    }
    return auth
  }

  it('a resource sent with a GET or DELETE entry is not shown to policies (those interactions take no body)', async () => {
    const victim = uniqueId('victim')
    await call('PUT', `/fhir/Patient/${victim}`, {
      auth: ROOT,
      body: { resourceType: 'Patient', id: victim },
    })
    const auth = await clientWith({
      engine: 'matcho',
      matcho: {
        operation: { id: { $enum: ['FhirRead', 'FhirDelete'] } },
        body: { resourceType: 'Patient', id: 'mine' },
      },
    })
    expect((await call('GET', `/fhir/Patient/${victim}`, { auth })).status).toBe(403)
    const mine = { resourceType: 'Patient', id: 'mine' }
    const res = await call('POST', '/fhir', {
      auth,
      body: {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [
          { resource: mine, request: { method: 'GET', url: `Patient/${victim}` } },
          { resource: mine, request: { method: 'DELETE', url: `Patient/${victim}` } },
        ],
      },
    })
    expect(
      (await json(res)).entry.map((e: { response: { status: string } }) => e.response.status)
    ).toEqual(['403 Forbidden', '403 Forbidden'])
    expect((await call('GET', `/fhir/Patient/${victim}`, { auth: ROOT })).status).toBe(200)
  })

  it('a JSON Patch is the body of a PATCH request and of a PATCH entry alike (the decoded operations)', async () => {
    const id = uniqueId('patched')
    await call('PUT', `/fhir/Patient/${id}`, { auth: ROOT, body: { resourceType: 'Patient', id } })
    const auth = await clientWith({
      engine: 'json-schema',
      schema: {
        required: ['body', 'operation'],
        properties: {
          operation: { properties: { id: { const: 'FhirPatch' } } },
          body: { type: 'array', items: { properties: { path: { const: '/gender' } } } },
        },
      },
    })
    const patch = (path: string) => [
      { op: 'add', path, value: path === '/gender' ? 'female' : '2000-01-01' },
    ]
    const http = (path: string) =>
      call('PATCH', `/fhir/Patient/${id}`, {
        auth,
        body: patch(path),
        headers: { 'content-type': 'application/json-patch+json' },
      })
    expect((await http('/gender')).status).toBe(200)
    expect((await http('/birthDate')).status).toBe(403)
    const bytes = (path: string) => btoa(JSON.stringify(patch(path)))
    const entry = (path: string) => ({
      resource: {
        resourceType: 'Binary',
        contentType: 'application/json-patch+json',
        data: bytes(path),
      },
      request: { method: 'PATCH', url: `Patient/${id}` },
    })
    const res = await call('POST', '/fhir', {
      auth,
      body: {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [entry('/gender'), entry('/birthDate')],
      },
    })
    expect(
      (await json(res)).entry.map((e: { response: { status: string } }) => e.response.status)
    ).toEqual(['200 OK', '403 Forbidden'])
  })
})

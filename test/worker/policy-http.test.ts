// AccessPolicies through the HTTP API (docs/access-policies.md#how-a-request-is-authorised):
// matcho, json-schema, complex and sql policies deciding real requests, anonymous access through
// global and Operation-linked policies, the documented traps
// (docs/access-policies.md#the-aidbox-traps-reproduced), and failures that deny (fail closed,
// docs/aidbox.md#fail-closed). Policies that could apply to other tests' callers (global or
// Operation-linked) only match a header value unique to the test.

import { afterEach, describe, expect, it, vi } from 'vitest'
import { basic, call, json, registerClient, ROOT, uniqueId } from './helpers.ts'

afterEach(() => {
  vi.restoreAllMocks()
})

async function savePolicy(id: string, body: Record<string, unknown>): Promise<void> {
  const res = await call('PUT', `/AccessPolicy/${id}`, { auth: ROOT, body })
  if (res.status !== 201) throw new Error(`savePolicy: ${res.status} ${await res.text()}`)
}

const removePolicy = (id: string) => call('DELETE', `/AccessPolicy/${id}`, { auth: ROOT })

/** A registered client linked to `policy` (saved as `<id>-policy`); returns its Authorization. */
async function clientWith(
  policy: Record<string, unknown>,
  prefix = 'pclient'
): Promise<{ id: string; auth: string }> {
  const id = uniqueId(prefix)
  const secret = `pw-${crypto.randomUUID()}`
  await registerClient(id, secret)
  await savePolicy(`${id}-policy`, { ...policy, link: [{ reference: `Client/${id}` }] })
  return { id, auth: basic(id, secret) }
}

async function putAsRoot(
  type: string,
  id: string,
  body: Record<string, unknown> = {}
): Promise<void> {
  const res = await call('PUT', `/fhir/${type}/${id}`, {
    auth: ROOT,
    body: { resourceType: type, id, ...body },
  })
  expect([200, 201]).toContain(res.status)
}

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

describe('anonymous access (docs/aidbox.md#candidates)', () => {
  it('is granted by an Operation-linked policy, for that operation only, and is 401 otherwise', async () => {
    const key = crypto.randomUUID()
    const id = uniqueId('public-search')
    await savePolicy(id, {
      engine: 'matcho',
      link: [{ reference: 'Operation/FhirSearch' }],
      matcho: { headers: { 'x-test-key': key } },
    })
    try {
      const headers = { 'x-test-key': key }
      expect((await call('GET', '/fhir/Patient?_count=1', { headers })).status).toBe(200)
      const create = await call('POST', '/fhir/Patient', {
        headers,
        body: { resourceType: 'Patient' },
      })
      expect(create.status).toBe(401)
      expect(create.headers.get('www-authenticate')).toMatch(/^Basic /)
      expect((await call('GET', '/fhir/Patient?_count=1')).status).toBe(401)
    } finally {
      await removePolicy(id)
    }
  })

  it('is granted by a global policy (no link) that matches, to anonymous and authenticated callers alike', async () => {
    const key = crypto.randomUUID()
    const id = uniqueId('global')
    await savePolicy(id, {
      engine: 'matcho',
      matcho: { headers: { 'x-test-key': key }, 'request-method': 'get' },
    })
    const plain = uniqueId('plain')
    await registerClient(plain, 'pw-123456')
    try {
      const headers = { 'x-test-key': key }
      expect((await call('GET', '/fhir/Observation?_count=1', { headers })).status).toBe(200)
      expect(
        (
          await call('GET', '/fhir/Observation?_count=1', {
            headers,
            auth: basic(plain, 'pw-123456'),
          })
        ).status
      ).toBe(200)
      expect(
        (
          await call('POST', '/fhir/Observation', {
            headers,
            body: { resourceType: 'Observation' },
          })
        ).status
      ).toBe(401)
      expect(
        (await call('GET', '/fhir/Observation?_count=1', { auth: basic(plain, 'pw-123456') }))
          .status
      ).toBe(403)
    } finally {
      await removePolicy(id)
    }
  })

  it('opens an operation to everyone when a policy links a Client and that Operation (Aidbox trap: links are OR)', async () => {
    const key = crypto.randomUUID()
    const owner = uniqueId('owner')
    const id = uniqueId('multi-link')
    await savePolicy(id, {
      engine: 'matcho',
      link: [{ reference: `Client/${owner}` }, { reference: 'Operation/FhirSearch' }],
      matcho: { headers: { 'x-test-key': key } },
    })
    try {
      // meant for `owner`, it lets an anonymous caller search
      expect(
        (await call('GET', '/fhir/Patient?_count=1', { headers: { 'x-test-key': key } })).status
      ).toBe(200)
    } finally {
      await removePolicy(id)
    }
  })

  it('never evaluates wrong credentials as anonymous, even where a policy opens the operation', async () => {
    const key = crypto.randomUUID()
    const id = uniqueId('public-search')
    await savePolicy(id, {
      engine: 'matcho',
      link: [{ reference: 'Operation/FhirSearch' }],
      matcho: { headers: { 'x-test-key': key } },
    })
    try {
      const headers = { 'x-test-key': key }
      expect((await call('GET', '/fhir/Patient?_count=1', { headers })).status).toBe(200)
      expect(
        (
          await call('GET', '/fhir/Patient?_count=1', {
            headers,
            auth: basic(uniqueId('nobody'), 'x'),
          })
        ).status
      ).toBe(401)
    } finally {
      await removePolicy(id)
    }
  })
})

describe('the other engines decide real requests (docs/aidbox.md#engines)', () => {
  it('json-schema: the request object must validate (draft-07)', async () => {
    const { auth } = await clientWith({
      engine: 'json-schema',
      schema: {
        type: 'object',
        required: ['request-method', 'params'],
        properties: {
          'request-method': { const: 'get' },
          params: {
            type: 'object',
            required: ['_count'],
            properties: { _count: { enum: ['1', '2'] } },
          },
        },
      },
    })
    expect((await call('GET', '/fhir/Patient?_count=1', { auth })).status).toBe(200)
    expect((await call('GET', '/fhir/Patient?_count=3', { auth })).status).toBe(403)
    expect((await call('GET', '/fhir/Patient', { auth })).status).toBe(403)
  })

  it('complex: and of matcho rules, with a nested or', async () => {
    const { auth } = await clientWith({
      engine: 'complex',
      and: [
        { engine: 'matcho', matcho: { 'request-method': 'get' } },
        {
          engine: 'complex',
          or: [
            { engine: 'matcho', matcho: { params: { 'resource/type': 'Patient' } } },
            { engine: 'matcho', matcho: { params: { 'resource/type': 'Observation' } } },
          ],
        },
      ],
    })
    expect((await call('GET', '/fhir/Observation?_count=1', { auth })).status).toBe(200)
    expect((await call('GET', '/fhir/Encounter?_count=1', { auth })).status).toBe(403)
  })

  it('sql: reads the resource table with bound request values', async () => {
    const pt = uniqueId('pt')
    await putAsRoot('Patient', pt, { active: true })
    const other = uniqueId('pt')
    await putAsRoot('Patient', other, { active: false })
    const { auth } = await clientWith({
      engine: 'sql',
      sql: {
        query:
          "SELECT 1 FROM resource WHERE type = 'Patient' AND id = {{params.resource/id}} " +
          "AND deleted = 0 AND json_extract(body, '$.active') = 1",
      },
    })
    expect((await call('GET', `/fhir/Patient/${pt}`, { auth })).status).toBe(200)
    expect((await call('GET', `/fhir/Patient/${other}`, { auth })).status).toBe(403)
  })
})

describe('failures deny (fail closed) and are logged with the policy id only', () => {
  it('a policy that errors at run time denies, and the log names it without request data', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    const { id, auth } = await clientWith({
      engine: 'sql',
      sql: { query: 'SELECT 1 FROM no_such_table' },
    })
    const res = await call('POST', '/fhir/Patient', {
      auth,
      body: { resourceType: 'Patient', name: [{ family: 'Secret-Family-Name' }] },
    })
    expect(res.status).toBe(403)
    const logged = error.mock.calls
      .map((args) => String(args[0]))
      .filter((l) => l.includes(`${id}-policy`))
    expect(logged).toHaveLength(1)
    expect(JSON.parse(logged[0]!)).toMatchObject({
      msg: 'AccessPolicy failed; counted as deny',
      policy: `${id}-policy`,
      operation: 'FhirCreate',
    })
    expect(logged[0]).not.toContain('Secret-Family-Name')
    expect(logged[0]).not.toContain('pw-')
  })

  it('a #regex on a string over 4096 characters errors, so even $not denies (ReDoS bound)', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    const { auth } = await clientWith({
      engine: 'matcho',
      matcho: { params: { name: { $not: '#DROP' } } },
    })
    expect((await call('GET', `/fhir/Patient?name=${'a'.repeat(4096)}`, { auth })).status).toBe(200)
    expect((await call('GET', `/fhir/Patient?name=${'a'.repeat(4097)}`, { auth })).status).toBe(403)
    expect((await call('GET', '/fhir/Patient?name=DROP', { auth })).status).toBe(403)
  })

  it('a policy with roleName never applies (no caller holds roles yet)', async () => {
    const { auth } = await clientWith({ engine: 'allow', roleName: 'admin' })
    expect((await call('GET', '/fhir/Patient?_count=1', { auth })).status).toBe(403)
  })

  it('the first policy that passes grants: a failing policy does not stop a later one', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    const { id, auth } = await clientWith({
      engine: 'sql',
      sql: { query: 'SELECT 1 FROM no_such_table' },
    })
    await savePolicy(`${id}-second`, {
      engine: 'matcho',
      link: [{ reference: `Client/${id}` }],
      matcho: { 'request-method': 'get' },
    })
    expect((await call('GET', '/fhir/Patient?_count=1', { auth })).status).toBe(200)
    expect(
      (await call('POST', '/fhir/Patient', { auth, body: { resourceType: 'Patient' } })).status
    ).toBe(403)
  })
})

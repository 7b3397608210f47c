// Aidbox's policy debugging endpoints, `$matcho` and `/auth/test-policy`
// (docs/aidbox.md#debug-endpoints): their answers, and who may call them (root, or a client a
// policy allows for DebugMatcho / DebugTestPolicy; never an anonymous caller).

import { describe, expect, it } from 'vitest'
import { basic, call, json, registerClient, ROOT, uniqueId } from './helpers.ts'

async function clientWith(policy: Record<string, unknown>): Promise<string> {
  const id = uniqueId('debugger')
  await registerClient(id, 'pw-123456')
  const res = await call('PUT', `/AccessPolicy/${id}-policy`, {
    auth: ROOT,
    body: { ...policy, link: [{ reference: `Client/${id}` }] },
  })
  expect(res.status).toBe(201)
  return basic(id, 'pw-123456')
}

describe('POST /$matcho (docs/aidbox.md#the-matcho-endpoint)', () => {
  it('echoes the input with an empty result when the pattern matches', async () => {
    const body = { matcho: { a: 1, b: '#^x' }, resource: { a: 1, b: 'xyz', c: 3 } }
    const res = await call('POST', '/$matcho', { auth: ROOT, body })
    expect(res.status).toBe(200)
    expect(await json(res)).toEqual({ ...body, result: [] })
  })

  it("lists each mismatch as {expected, but, path} (Aidbox's example)", async () => {
    const res = await call('POST', '/$matcho', {
      auth: ROOT,
      body: { matcho: { a: 1 }, resource: { a: 2 } },
    })
    expect((await json(res)).result).toEqual([{ expected: 1, but: 2, path: ['a'] }])
  })

  it('descends into objects and arrays, reports missing values as null and operators at their object', async () => {
    const res = await call('POST', '/$matcho', {
      auth: ROOT,
      body: {
        matcho: {
          user: { data: { id: 'present?' } },
          roles: ['a', 'b'],
          params: { $contains: 'x' },
          m: { $enum: ['get'] },
        },
        resource: { user: { data: {} }, roles: ['a', 'c'], params: ['y'], m: 'get' },
      },
    })
    expect((await json(res)).result).toEqual([
      { path: ['user', 'data', 'id'], expected: 'present?', but: null },
      { path: ['roles', 1], expected: 'b', but: 'c' },
      { path: ['params'], expected: { $contains: 'x' }, but: ['y'] },
    ])
  })

  it('resolves .path references against context, or against the resource without one', async () => {
    const withContext = await call('POST', '/$matcho', {
      auth: ROOT,
      body: {
        matcho: { owner: '.user.id' },
        resource: { owner: 'u1' },
        context: { user: { id: 'u1' } },
      },
    })
    expect((await json(withContext)).result).toEqual([])
    const without = await call('POST', '/$matcho', {
      auth: ROOT,
      body: { matcho: { owner: '.me' }, resource: { owner: 'u1', me: 'u1' } },
    })
    expect((await json(without)).result).toEqual([])
  })

  it('answers 400 with the offending path for a pattern that does not compile', async () => {
    const res = await call('POST', '/$matcho', {
      auth: ROOT,
      body: { matcho: { uri: '#(' }, resource: {} },
    })
    expect(res.status).toBe(400)
    expect((await json(res)).issue[0].expression).toEqual(['matcho.uri'])
  })

  it('is 401 for anonymous callers and 403 for clients without a policy for DebugMatcho', async () => {
    const body = { matcho: {}, resource: {} }
    expect((await call('POST', '/$matcho', { body })).status).toBe(401)
    const plain = await clientWith({ engine: 'matcho', matcho: { operation: { id: 'FhirRead' } } })
    expect((await call('POST', '/$matcho', { auth: plain, body })).status).toBe(403)
    const debuggerAuth = await clientWith({
      engine: 'matcho',
      matcho: { operation: { id: 'DebugMatcho' } },
    })
    expect((await call('POST', '/$matcho', { auth: debuggerAuth, body })).status).toBe(200)
    expect(
      (
        await call('POST', '/auth/test-policy', {
          auth: debuggerAuth,
          body: { policy: { engine: 'allow' } },
        })
      ).status
    ).toBe(403)
  })
})

describe('POST /auth/test-policy (docs/aidbox.md#the-test-policy-endpoint)', () => {
  it('normalises the simulated request, resolves its operation and answers the evaluation', async () => {
    const res = await call('POST', '/auth/test-policy', {
      auth: ROOT,
      body: {
        request: {
          uri: '/fhir/Patient/pt-1?_elements=name',
          'request-method': 'GET',
          headers: { 'X-Trace': 't1', Authorization: 'Basic c2VjcmV0' },
          client: { id: 'basic', grant_types: ['basic'], secret: 'nope' },
          user: {},
        },
        policy: {
          engine: 'matcho',
          matcho: { params: { 'resource/type': 'Patient' }, operation: { id: 'FhirRead' } },
        },
      },
    })
    expect(res.status).toBe(200)
    expect(await json(res)).toEqual({
      request: {
        'request-method': 'get',
        uri: '/fhir/Patient/pt-1',
        'query-string': '_elements=name',
        params: { _elements: 'name', 'resource/type': 'Patient', 'resource/id': 'pt-1' },
        headers: { 'x-trace': 't1' },
        client: { id: 'basic', grant_types: ['basic'] },
        operation: { id: 'FhirRead' },
      },
      operation: { id: 'FhirRead' },
      policy: {
        engine: 'matcho',
        matcho: { params: { 'resource/type': 'Patient' }, operation: { id: 'FhirRead' } },
      },
      result: { 'eval-result': true },
    })
  })

  it('resolves search, create, and admin routes to their operation ids', async () => {
    const cases: [string, string, string][] = [
      ['get', '/fhir/Observation', 'FhirSearch'],
      ['post', '/fhir/Observation', 'FhirCreate'],
      ['put', '/fhir/Observation/o1', 'FhirUpdate'],
      ['get', '/Client/c1', 'Read'],
      ['delete', '/AccessPolicy/p1', 'Delete'],
      ['post', '/$matcho', 'DebugMatcho'],
      ['get', '/fhir/Observation/o1/_history/2', 'FhirVRead'],
      ['delete', '/fhir/Observation/o1', 'FhirDelete'],
      ['patch', '/fhir/Observation/o1', 'FhirPatch'],
      ['get', '/fhir/Observation/o1/_history', 'FhirHistory'],
      ['post', '/fhir', 'FhirTransaction'],
    ]
    for (const [method, uri, id] of cases) {
      const res = await call('POST', '/auth/test-policy', {
        auth: ROOT,
        body: { request: { uri, 'request-method': method }, policy: { engine: 'allow' } },
      })
      expect((await json(res)).operation, `${method} ${uri}`).toEqual({ id })
    }
  })

  it('names every route param under resource/ (vread: resource/vid), as policies see them', async () => {
    const res = await call('POST', '/auth/test-policy', {
      auth: ROOT,
      body: {
        request: { uri: '/fhir/Observation/o1/_history/2' },
        policy: { engine: 'matcho', matcho: { params: { 'resource/vid': '2' } } },
      },
    })
    const out = await json(res)
    expect(out.request.params).toEqual({
      'resource/type': 'Observation',
      'resource/id': 'o1',
      'resource/vid': '2',
    })
    expect(out.result['eval-result']).toBe(true)
  })

  it('shows the sql query with its bound values, and loads a client by client-id without its secret', async () => {
    const clientId = uniqueId('known')
    await registerClient(clientId, 'pw-123456')
    const res = await call('POST', '/auth/test-policy', {
      auth: ROOT,
      body: {
        request: { uri: '/fhir/Patient/pt-1', 'request-method': 'get', 'client-id': clientId },
        policy: { engine: 'sql', sql: { query: 'SELECT {{client.id}} = {{params.resource/id}}' } },
      },
    })
    const out = await json(res)
    expect(out.request.client).toMatchObject({ resourceType: 'Client', id: clientId })
    expect(JSON.stringify(out)).not.toContain('pbkdf2')
    expect(out.result).toEqual({
      'eval-result': false,
      query: ['SELECT * FROM (\nSELECT ?1 = ?2\n) LIMIT 1', clientId, 'pt-1'],
    })
  })

  it('decodes a Bearer JWT from headers.authorization into jwt, without verifying it', async () => {
    const payload = btoa(JSON.stringify({ sub: 'u1', scope: 'patient/*.read' }))
      .replace(/=+$/, '')
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
    const res = await call('POST', '/auth/test-policy', {
      auth: ROOT,
      body: {
        request: {
          uri: '/fhir/Patient',
          headers: { authorization: `Bearer eyJhbGciOiJub25lIn0.${payload}.` },
        },
        policy: { engine: 'matcho', matcho: { jwt: { sub: 'u1' } } },
      },
    })
    const out = await json(res)
    expect(out.request.jwt).toEqual({ sub: 'u1', scope: 'patient/*.read' })
    expect(out.request.headers).toBeUndefined()
    expect(out.result['eval-result']).toBe(true)
  })

  it('reports an evaluation error as a false result with the message', async () => {
    const res = await call('POST', '/auth/test-policy', {
      auth: ROOT,
      body: {
        request: { uri: '/fhir/Patient' },
        policy: { engine: 'sql', sql: { query: 'SELECT no_such_column FROM resource' } },
      },
    })
    const out = await json(res)
    expect(out.result['eval-result']).toBe(false)
    expect(out.result.error).toMatch(/no_such_column/)
  })

  it('answers 400 with the path inside policy for an invalid policy, and for a missing policy', async () => {
    const bad = await call('POST', '/auth/test-policy', {
      auth: ROOT,
      body: {
        request: {},
        policy: { engine: 'complex', and: [{ engine: 'matcho', matcho: { a: '#(' } }] },
      },
    })
    expect(bad.status).toBe(400)
    expect((await json(bad)).issue[0].expression).toEqual(['policy.and[0].matcho.a'])
    const missing = await call('POST', '/auth/test-policy', { auth: ROOT, body: { request: {} } })
    expect(missing.status).toBe(400)
    expect((await json(missing)).issue[0].expression).toEqual(['policy'])
  })

  it('is 401 for anonymous callers even when a policy linked to Operation/DebugTestPolicy allows them', async () => {
    const key = crypto.randomUUID()
    const id = uniqueId('public-debug')
    const saved = await call('PUT', `/AccessPolicy/${id}`, {
      auth: ROOT,
      body: {
        engine: 'matcho',
        link: [{ reference: 'Operation/DebugTestPolicy' }],
        matcho: { headers: { 'x-test-key': key } },
      },
    })
    expect(saved.status).toBe(201)
    try {
      const body = { policy: { engine: 'allow' } }
      const anonymous = await call('POST', '/auth/test-policy', {
        body,
        headers: { 'x-test-key': key },
      })
      expect(anonymous.status).toBe(401)
      // the same policy does let an authenticated client in (it is linked to the operation)
      const plain = uniqueId('plain')
      await registerClient(plain, 'pw-123456')
      const client = await call('POST', '/auth/test-policy', {
        body,
        auth: basic(plain, 'pw-123456'),
        headers: { 'x-test-key': key },
      })
      expect(client.status).toBe(200)
    } finally {
      await call('DELETE', `/AccessPolicy/${id}`, { auth: ROOT })
    }
  })
})

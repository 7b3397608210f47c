// The Aidbox-compatible admin API for Clients and AccessPolicies in KV (docs/aidbox.md#client,
// docs/aidbox.md#accesspolicy):
// create/replace/read/delete, hashed secrets that are never returned, validation, and the rule that a
// change made through the API takes effect at once in the isolate that made it.

import { env } from 'cloudflare:test'
import { describe, expect, it, vi } from 'vitest'
import { hashSecret } from '../../src/lib/secrets.ts'
import { preparePolicy } from '../../src/admin/access-policies.ts'
import {
  allowClient,
  allowedClient,
  basic,
  call,
  json,
  registerClient,
  ROOT,
  testLog,
  uniqueId,
} from './helpers.ts'

describe('Client', () => {
  it('PUT creates (201) then replaces (200), answering the resource with resourceType and no secret', async () => {
    const id = uniqueId('app')
    const first = await call('PUT', `/Client/${id}`, {
      auth: ROOT,
      body: { id, secret: 'secret', grant_types: ['basic'] },
    })
    expect(first.status).toBe(201)
    const body = await json(first)
    expect(body).toMatchObject({ resourceType: 'Client', id, grant_types: ['basic'] })
    expect(body).not.toHaveProperty('secret')
    const second = await call('PUT', `/Client/${id}`, {
      auth: ROOT,
      body: { id, secret: 'secret', grant_types: ['basic'] },
    })
    expect(second.status).toBe(200)
  })

  it('stores the secret only as a salted PBKDF2 hash, and GET never returns it', async () => {
    const id = uniqueId('hashed')
    await registerClient(id, 'my-plain-secret')
    const stored = JSON.parse((await env.AUTH.get(`Client/${id}`))!)
    expect(stored.secret).toMatch(/^pbkdf2-sha256\$100000\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/)
    expect(JSON.stringify(stored)).not.toContain('my-plain-secret')
    const read = await call('GET', `/Client/${id}`, { auth: ROOT })
    expect(read.status).toBe(200)
    const text = await read.text()
    expect(text).not.toContain('pbkdf2')
    expect(text).not.toContain('my-plain-secret')
  })

  it('keeps the stored secret when a PUT carries none', async () => {
    const id = uniqueId('keep')
    await registerClient(id, 'original-secret')
    await allowClient(id)
    const put = await call('PUT', `/Client/${id}`, {
      auth: ROOT,
      body: { grant_types: ['basic'], name: 'renamed' },
    })
    expect(put.status).toBe(200)
    expect(
      (await call('GET', '/fhir/Patient?_count=1', { auth: basic(id, 'original-secret') })).status
    ).toBe(200)
  })

  it('keeps a secret already in the stored hash form as given (restoring a KV export)', async () => {
    const id = uniqueId('restore')
    const hash = await hashSecret('restored-secret')
    await registerClient(id, hash)
    expect(JSON.parse((await env.AUTH.get(`Client/${id}`))!).secret).toBe(hash)
    await allowClient(id)
    expect(
      (await call('GET', '/fhir/Patient?_count=1', { auth: basic(id, 'restored-secret') })).status
    ).toBe(200)
  })

  it('takes a secret change into account at once in this isolate', async () => {
    const { id, auth } = await allowedClient()
    expect((await call('GET', '/fhir/Patient?_count=1', { auth })).status).toBe(200)
    await registerClient(id, 'rotated-secret')
    expect((await call('GET', '/fhir/Patient?_count=1', { auth })).status).toBe(401)
    expect(
      (await call('GET', '/fhir/Patient?_count=1', { auth: basic(id, 'rotated-secret') })).status
    ).toBe(200)
  })

  it('takes "active": false into account at once', async () => {
    const { id, auth } = await allowedClient()
    expect((await call('GET', '/fhir/Patient?_count=1', { auth })).status).toBe(200)
    await call('PUT', `/Client/${id}`, {
      auth: ROOT,
      body: { grant_types: ['basic'], active: false },
    })
    expect((await call('GET', '/fhir/Patient?_count=1', { auth })).status).toBe(401)
  })

  it('DELETE answers the deleted Client (without secret), then 404 on read and 204 on a second delete', async () => {
    const { id, auth } = await allowedClient()
    const del = await call('DELETE', `/Client/${id}`, { auth: ROOT })
    expect(del.status).toBe(200)
    expect(await del.text()).not.toContain('secret')
    expect((await call('GET', `/Client/${id}`, { auth: ROOT })).status).toBe(404)
    expect((await call('DELETE', `/Client/${id}`, { auth: ROOT })).status).toBe(204)
    expect((await call('GET', '/fhir/Patient?_count=1', { auth })).status).toBe(401)
  })

  it.each([
    [
      'an id that differs from the URL',
      (id: string) => ({ id: `${id}x`, secret: 's', grant_types: ['basic'] }),
      'id',
    ],
    ['a wrong resourceType', () => ({ resourceType: 'Patient', secret: 's' }), 'resourceType'],
    [
      'an unknown grant type',
      () => ({ secret: 's', grant_types: ['basic', 'magic'] }),
      'grant_types',
    ],
    [
      'grant_types that is not an array',
      () => ({ secret: 's', grant_types: 'basic' }),
      'grant_types',
    ],
    ['an empty secret', () => ({ secret: '' }), 'secret'],
    ['a non-string secret', () => ({ secret: 42 }), 'secret'],
    ['a non-boolean active', () => ({ secret: 's', active: 'yes' }), 'active'],
  ])('answers 400 for %s and writes nothing', async (_label, makeBody, field) => {
    const id = uniqueId('bad')
    const res = await call('PUT', `/Client/${id}`, { auth: ROOT, body: makeBody(id) })
    expect(res.status).toBe(400)
    const outcome = await json(res)
    expect(outcome.resourceType).toBe('OperationOutcome')
    expect(outcome.issue[0].diagnostics).toContain(field)
    expect(await env.AUTH.get(`Client/${id}`)).toBeNull()
  })

  it('answers 400 for an id with characters outside [A-Za-z0-9-.] or longer than 64', async () => {
    for (const id of ['has_underscore', 'a'.repeat(65), 'sp%20ace']) {
      const res = await call('PUT', `/Client/${id}`, { auth: ROOT, body: { secret: 's' } })
      expect(res.status, id).toBe(400)
    }
  })

  it('answers 400 for malformed JSON and 415 for a non-JSON body, writing nothing', async () => {
    const id = uniqueId('malformed')
    const bad = await call('PUT', `/Client/${id}`, {
      auth: ROOT,
      body: '{"secret": ',
      headers: { 'content-type': 'application/json' },
    })
    expect(bad.status).toBe(400)
    expect((await json(bad)).issue[0].diagnostics).toMatch(/Malformed JSON/)
    const xml = await call('PUT', `/Client/${id}`, {
      auth: ROOT,
      body: '<Client/>',
      headers: { 'content-type': 'application/xml' },
    })
    expect(xml.status).toBe(415)
    expect(await env.AUTH.get(`Client/${id}`)).toBeNull()
  })

  it('is forbidden to an authenticated client without a policy, and allowed to one with an allow policy', async () => {
    const id = uniqueId('plain-client')
    await registerClient(id, 'pw-123456')
    const target = uniqueId('target')
    expect(
      (
        await call('PUT', `/Client/${target}`, {
          auth: basic(id, 'pw-123456'),
          body: { secret: 'x' },
        })
      ).status
    ).toBe(403)
    expect(await env.AUTH.get(`Client/${target}`)).toBeNull()
    const admin = await allowedClient('admin')
    expect(
      (await call('PUT', `/Client/${target}`, { auth: admin.auth, body: { secret: 'x' } })).status
    ).toBe(201)
  })

  it('is 401 for anonymous callers', async () => {
    expect((await call('GET', `/Client/${uniqueId('x')}`)).status).toBe(401)
  })
})

describe('AccessPolicy', () => {
  it('PUT creates (201) then replaces (200); GET answers it; DELETE removes it', async () => {
    const id = uniqueId('policy')
    const body = { engine: 'allow', link: [{ resourceType: 'Client', id: 'someone' }] }
    expect((await call('PUT', `/AccessPolicy/${id}`, { auth: ROOT, body })).status).toBe(201)
    expect((await call('PUT', `/AccessPolicy/${id}`, { auth: ROOT, body })).status).toBe(200)
    const read = await call('GET', `/AccessPolicy/${id}`, { auth: ROOT })
    expect(await json(read)).toMatchObject({ resourceType: 'AccessPolicy', id, engine: 'allow' })
    expect((await call('DELETE', `/AccessPolicy/${id}`, { auth: ROOT })).status).toBe(200)
    expect((await call('GET', `/AccessPolicy/${id}`, { auth: ROOT })).status).toBe(404)
  })

  it('takes a deleted policy into account at once: the client is then forbidden', async () => {
    const { id, auth } = await allowedClient()
    expect((await call('GET', '/fhir/Patient?_count=1', { auth })).status).toBe(200)
    await call('DELETE', `/AccessPolicy/${id}-allow`, { auth: ROOT })
    expect((await call('GET', '/fhir/Patient?_count=1', { auth })).status).toBe(403)
  })

  it.each([
    ['an unknown engine', { engine: 'magic' }],
    ['no engine', { link: [] }],
    ['a link to an unsupported type', { engine: 'allow', link: [{ reference: 'Patient/x' }] }],
    ['a link without an id', { engine: 'allow', link: [{ resourceType: 'Client' }] }],
    ['link that is not an array', { engine: 'allow', link: { reference: 'Client/x' } }],
  ])('answers 400 for %s and writes nothing', async (_label, body) => {
    const id = uniqueId('badpolicy')
    const res = await call('PUT', `/AccessPolicy/${id}`, { auth: ROOT, body })
    expect(res.status).toBe(400)
    expect((await json(res)).resourceType).toBe('OperationOutcome')
    expect(await env.AUTH.get(`AccessPolicy/${id}`)).toBeNull()
  })
})

describe('AccessPolicy validation names the offending field (docs/access-policies.md#validation-when-saved)', () => {
  it.each([
    ['an unknown engine', { engine: 'magic' }, 'engine', /unknown engine "magic"/],
    ['an Aidbox engine not implemented here', { engine: 'matcho-rpc' }, 'engine', /not supported/],
    [
      'a matcho regex nested in an array',
      { engine: 'matcho', matcho: { a: ['x', { b: '#[' }] } },
      'matcho.a[1].b',
      /invalid regex/,
    ],
    [
      'a regex with a backreference (no linear-time match)',
      { engine: 'matcho', matcho: { uri: '#(a)\\1' } },
      'matcho.uri',
      /backreferences/,
    ],
    [
      '$one-of mixed with other keys',
      { engine: 'matcho', matcho: { uri: { '$one-of': ['/a'], x: 1 } } },
      'matcho.uri',
      /\$one-of must not share/,
    ],
    [
      '"and" with "or" at one level',
      { engine: 'complex', and: [{ engine: 'allow' }], or: [{ engine: 'allow' }] },
      'or',
      /both "and" and "or"/,
    ],
    [
      '"and" with "or" in a nested rule',
      { engine: 'complex', or: [{ engine: 'complex', and: [{ engine: 'allow' }], or: [] }] },
      'or[0].or',
      /both "and" and "or"/,
    ],
    [
      'sql with two statements',
      { engine: 'sql', sql: { query: 'SELECT 1; SELECT 2' } },
      'sql.query',
      /only one statement/,
    ],
    [
      'sql that writes',
      { engine: 'sql', sql: { query: 'WITH x AS (SELECT 1) DELETE FROM resource' } },
      'sql.query',
      /DELETE is not allowed/,
    ],
    [
      'sql that is not a SELECT',
      { engine: 'sql', sql: { query: 'PRAGMA table_info(resource)' } },
      'sql.query',
      /PRAGMA is not allowed/,
    ],
    [
      'a json-schema that is not draft-07',
      { engine: 'json-schema', schema: { type: 'nope' } },
      'schema.type',
      /invalid JSON Schema/,
    ],
  ])(
    'answers 400 for %s, with the path in expression, and writes nothing',
    async (_label, body, path, message) => {
      const id = uniqueId('invalid')
      const res = await call('PUT', `/AccessPolicy/${id}`, { auth: ROOT, body })
      expect(res.status).toBe(400)
      const outcome = await json(res)
      expect(outcome.resourceType).toBe('OperationOutcome')
      expect(outcome.issue[0]).toMatchObject({ severity: 'error', code: 'invalid' })
      expect(outcome.issue[0].diagnostics).toMatch(message)
      expect(outcome.issue[0].expression).toEqual([path])
      expect(await env.AUTH.get(`AccessPolicy/${id}`)).toBeNull()
    }
  )

  it('accepts an unlinked allow policy as Aidbox does, and logs a warning naming it', () => {
    // Checked on preparePolicy (what PUT runs before writing): a stored unlinked allow policy would
    // open the shared test server to every other test file for up to 60 s.
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    try {
      const policy = preparePolicy('open-all', { engine: 'allow' }, testLog)
      expect(policy).toMatchObject({
        resourceType: 'AccessPolicy',
        id: 'open-all',
        engine: 'allow',
      })
      const logged = warn.mock.calls.map((args) => String(args[0])).join('\n')
      expect(logged).toContain('unlinked allow AccessPolicy')
      expect(logged).toContain('open-all')
      warn.mockClear()
      preparePolicy('linked', { engine: 'allow', link: [{ reference: 'Client/c' }] }, testLog)
      preparePolicy('role-only', { engine: 'allow', roleName: 'admin' }, testLog)
      expect(warn).not.toHaveBeenCalled()
    } finally {
      warn.mockRestore()
    }
  })

  it('logs a warning for a policy linked to an Operation and a Client (links are OR-ed)', async () => {
    const id = uniqueId('mixed-links')
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const res = await call('PUT', `/AccessPolicy/${id}`, {
      auth: ROOT,
      body: {
        engine: 'matcho',
        matcho: { 'x-never': 'present?' },
        link: [{ reference: 'Client/c' }, { reference: 'Operation/FhirRead' }],
      },
    })
    expect(res.status).toBe(201)
    expect(warn.mock.calls.map((args) => String(args[0])).join('\n')).toContain(id)
    warn.mockRestore()
    await call('DELETE', `/AccessPolicy/${id}`, { auth: ROOT })
  })

  it('answers 400 with the path of a matcho regex that does not compile', async () => {
    const id = uniqueId('badregex')
    const res = await call('PUT', `/AccessPolicy/${id}`, {
      auth: ROOT,
      body: { engine: 'matcho', matcho: { uri: '#^/fhir/(' } },
    })
    expect(res.status).toBe(400)
    const outcome = await json(res)
    expect(outcome.issue[0].expression).toEqual(['matcho.uri'])
    expect(await env.AUTH.get(`AccessPolicy/${id}`)).toBeNull()
  })
})

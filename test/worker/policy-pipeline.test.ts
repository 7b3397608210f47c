// The policy pipeline below the routes: candidate selection from the index, the request object
// every engine sees (built from the body the real route declares), and Bundle entries authorised
// as their own requests, through the real batch endpoint.

import { env } from 'cloudflare:test'
import { Hono, type Context } from 'hono'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { AppEnv } from '../../src/http/env.ts'
import type { Principal } from '../../src/config/principal.ts'
import { clearAuthCache, listPolicies, type StoredPolicy } from '../../src/config/store.ts'
import { linkTargets } from '../../src/policy/authorize.ts'
import { mountRoutes } from '../../src/policy/route-table.ts'
import { fhirRoutes } from '../../src/fhir/routes.ts'
import { selectCandidates } from '../../src/policy/candidates.ts'
import { partsOf, policyRequest, type PolicyRequest } from '../../src/policy/request.ts'
import { errorResponse } from '../../src/app.ts'
import { basic, call, json, registerClient, ROOT, uniqueId } from './helpers.ts'

async function registeredClient(prefix: string): Promise<{ id: string; auth: string }> {
  const id = uniqueId(prefix)
  await registerClient(id, 'pw-entry-123')
  return { id, auth: basic(id, 'pw-entry-123') }
}

function policy(id: string, fields: Record<string, unknown>): StoredPolicy {
  return { resourceType: 'AccessPolicy', id, ...fields } as StoredPolicy
}

afterEach(() => {
  vi.restoreAllMocks()
})

const ids = (list: readonly { id: string }[]) => list.map((c) => c.id)
const matchAll = { engine: 'matcho', matcho: { uri: 'present?' } }

describe('candidate selection (docs/aidbox.md#candidates)', () => {
  const policies = [
    policy('g-matcho', matchAll),
    policy('g-allow', { engine: 'allow' }),
    policy('c-a', { ...matchAll, link: [{ reference: 'Client/a' }] }),
    policy('c-b', { engine: 'allow', link: [{ resourceType: 'Client', id: 'b' }] }),
    policy('op-read', { ...matchAll, link: [{ reference: 'Operation/FhirRead' }] }),
    policy('multi', {
      ...matchAll,
      link: [{ reference: 'Client/a' }, { reference: 'Operation/FhirRead' }],
    }),
    policy('sql', { engine: 'sql', sql: { query: 'SELECT 1' }, link: [{ reference: 'Client/a' }] }),
    policy('user-u', { ...matchAll, link: [{ reference: 'User/u' }] }),
    policy('role', { engine: 'allow', roleName: 'admin' }),
    policy('broken-link', { engine: 'allow', link: { reference: 'Client/a' } }),
    policy('bad-links-only', { engine: 'allow', link: [{ reference: 'Patient/p' }] }),
    policy('uncompilable', { engine: 'matcho', matcho: { uri: '#(' } }),
  ]
  const client = (id: string): Principal => ({
    kind: 'client',
    id,
    client: { resourceType: 'Client', id },
  })
  const select = (principal: Principal, operation: string) =>
    ids(selectCandidates(policies, linkTargets(principal, operation)))

  it('gives a client the global policies, its own, and those of the operation, allow first then sync then sql', () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {})
    expect(select(client('a'), 'FhirRead')).toEqual([
      'g-allow',
      'c-a',
      'g-matcho',
      'multi',
      'op-read',
      'sql',
    ])
  })

  it('gives an anonymous caller only global and Operation-linked policies', () => {
    expect(select({ kind: 'anonymous' }, 'FhirRead')).toEqual([
      'g-allow',
      'g-matcho',
      'multi',
      'op-read',
    ])
    expect(select({ kind: 'anonymous' }, 'FhirSearch')).toEqual(['g-allow', 'g-matcho'])
  })

  it('ORs several links: a policy linked to Client/a and Operation/FhirRead applies to anyone reading (Aidbox trap)', () => {
    expect(select(client('z'), 'FhirRead')).toContain('multi')
    expect(select(client('a'), 'FhirSearch')).toContain('multi')
    expect(select(client('z'), 'FhirSearch')).not.toContain('multi')
  })

  it('does not give one client the policies of another', () => {
    expect(select(client('b'), 'FhirSearch')).toEqual(['c-b', 'g-allow', 'g-matcho'])
  })

  it('includes User-linked policies only for a principal that carries that user', () => {
    expect(select(client('a'), 'FhirSearch')).not.toContain('user-u')
    const withUser = { ...client('a'), user: { id: 'u' } } as unknown as Principal
    expect(select(withUser, 'FhirSearch')).toContain('user-u')
  })

  it('never applies a policy with roleName (no caller holds roles yet), a non-array link, only invalid links, or one that does not compile', () => {
    for (const principal of [client('a'), { kind: 'anonymous' } as Principal]) {
      for (const op of ['FhirRead', 'FhirSearch']) {
        const selected = select(principal, op)
        for (const id of ['role', 'broken-link', 'bad-links-only', 'uncompilable'])
          expect(selected).not.toContain(id)
      }
    }
  })

  it('reuses the index and compiled policies for one list, and recompiles only replaced objects', () => {
    const first = selectCandidates(policies, ['Client/a'])
    const again = selectCandidates(policies, ['Client/a'])
    expect(again[0]).toBe(first[0])
    const replaced = [
      ...policies.slice(0, 2),
      policy('c-a', { engine: 'allow', link: [{ reference: 'Client/a' }] }),
      ...policies.slice(3),
    ]
    const after = selectCandidates(replaced, ['Client/a'])
    const ga = (list: typeof first) => list.find((c) => c.id === 'g-matcho')!.compiled
    expect(ga(after)).toBe(ga(first))
    expect(after.find((c) => c.id === 'c-a')!.compiled.engine).toBe('allow')
  })
})

/**
 * An app with a real Hono context whose route is `path` with the body the real route declares (found
 * in the real route tables), mounted by the real `mountRoutes`: sets the principal, then runs
 * `handler` in place of the route's own.
 */
function appWith(principal: Principal, handler: (c: Context<AppEnv>) => Promise<Response>) {
  const app = new Hono<AppEnv>()
  app.use('*', async (c, next) => {
    c.set('principal', principal)
    await next()
  })
  const routes = fhirRoutes.map((spec) => ({ ...spec, operation: null, handler }))
  mountRoutes(app, [{ prefix: '/fhir', routes }])
  app.onError(errorResponse)
  return app
}

describe('the request object (docs/aidbox.md#request-object)', () => {
  const client: Principal = {
    kind: 'client',
    id: 'app-1',
    client: {
      resourceType: 'Client',
      id: 'app-1',
      secret: 'pbkdf2-sha256$…',
      grant_types: ['basic'],
    },
  }

  async function requestFor(
    url: string,
    init: RequestInit,
    principal = client
  ): Promise<PolicyRequest> {
    let seen: PolicyRequest | undefined
    const app = appWith(principal, async (c) => {
      seen = policyRequest(c, 'FhirRead', await partsOf(c))
      return c.text('ok')
    })
    const res = await app.request(url, init, env)
    expect(res.status).toBe(200)
    return seen!
  }

  it('has every listed key for a read, with empty values removed and no secret anywhere', async () => {
    const request = await requestFor(
      'https://fhir.test/fhir/Patient/pt-1?_elements=name&_elements=id&empty=',
      {
        headers: {
          Authorization: 'Basic abc',
          Cookie: 's=1',
          'X-Custom': 'Yes',
          Accept: 'application/fhir+json',
        },
      }
    )
    expect(request).toEqual({
      'request-method': 'get',
      uri: '/fhir/Patient/pt-1',
      'query-string': '_elements=name&_elements=id&empty=',
      params: { _elements: ['name', 'id'], 'resource/type': 'Patient', 'resource/id': 'pt-1' },
      headers: { 'x-custom': 'Yes', accept: 'application/fhir+json' },
      client: { resourceType: 'Client', id: 'app-1', grant_types: ['basic'] },
      operation: { id: 'FhirRead' },
    })
  })

  it('carries the JSON body as body and resource for writes', async () => {
    const patient = { resourceType: 'Patient', name: [{ family: 'Doe' }], active: false, note: [] }
    const request = await requestFor('https://fhir.test/fhir/Patient', {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify(patient),
    })
    const pruned = { resourceType: 'Patient', name: [{ family: 'Doe' }], active: false }
    expect(request.body).toEqual(pruned)
    expect(request.resource).toEqual(pruned)
    expect(request['request-method']).toBe('post')
    expect(request.params).toEqual({ 'resource/type': 'Patient' })
  })

  it('drops query parameters whose name contains "/", so ?resource/type=Patient cannot pose as the route', async () => {
    const request = await requestFor(
      'https://fhir.test/fhir?resource/type=Patient&resource%2Fid=x&_count=1',
      {}
    )
    expect(request.params).toEqual({ _count: '1' })
    expect(request['query-string']).toContain('resource')
  })

  it('adds the fields of a form body to params (POST _search), after the query ones', async () => {
    const request = await requestFor('https://fhir.test/fhir/Observation/_search?code=a', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'code=b&_include=Observation:subject&resource/type=Patient',
    })
    expect(request.params).toEqual({
      code: ['a', 'b'],
      _include: 'Observation:subject',
      'resource/type': 'Observation',
    })
    expect(request).not.toHaveProperty('body')
  })

  it('keeps a parameter named __proto__ as data', async () => {
    const request = await requestFor('https://fhir.test/fhir/Patient?__proto__=a&__proto__=b', {})
    expect(Object.getOwnPropertyNames(request.params)).toContain('__proto__')
    expect(Object.getPrototypeOf(request.params)).toBe(Object.prototype)
  })

  it('has no client for an anonymous caller, and no user or jwt until they exist', async () => {
    const request = await requestFor('https://fhir.test/fhir/Patient', {}, { kind: 'anonymous' })
    expect(request).not.toHaveProperty('client')
    expect(request).not.toHaveProperty('user')
    expect(request).not.toHaveProperty('jwt')
  })
})

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

describe('the per-isolate policy list (src/config/store.ts)', () => {
  // TTL 0: every call reloads from KV, as an isolate does once its 60 s are over.
  const reloading = { ...env, AUTH_CACHE_TTL_SECONDS: '0' } as Env

  it('reads more than 100 policies (bulk reads of 100 keys) and keeps unchanged ones as the same objects', async () => {
    const owner = uniqueId('bulk-owner')
    const names = Array.from({ length: 130 }, (_, i) => `${owner}-${String(i).padStart(3, '0')}`)
    await Promise.all(
      names.map((id) =>
        env.AUTH.put(
          `AccessPolicy/${id}`,
          JSON.stringify({ id, engine: 'allow', link: [{ reference: `Client/${owner}` }] })
        )
      )
    )
    try {
      clearAuthCache() // drop the list cached (for 60 s) by earlier tests
      const first = await listPolicies(reloading)
      const mine = first.filter((p) => p.id.startsWith(owner))
      expect(mine.map((p) => p.id)).toEqual(names)
      const second = await listPolicies(reloading)
      expect(second).not.toBe(first)
      expect(second.find((p) => p.id === names[0])).toBe(mine[0])
      // a changed KV text gives a new object (so it is compiled again)
      await env.AUTH.put(
        `AccessPolicy/${names[0]}`,
        JSON.stringify({ id: names[0], engine: 'allow', description: 'changed' })
      )
      const third = await listPolicies(reloading)
      const changed = third.find((p) => p.id === names[0])!
      expect(changed).not.toBe(mine[0])
      expect(changed.description).toBe('changed')
      expect(third.find((p) => p.id === names[1])).toBe(mine[1])
    } finally {
      await Promise.all(names.map((id) => env.AUTH.delete(`AccessPolicy/${id}`)))
      await listPolicies(reloading)
    }
  })
})

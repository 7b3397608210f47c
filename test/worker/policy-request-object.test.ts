// The request object every policy engine sees, built from the body the real route declares: its
// keys, the body of writes, form fields of POST _search, and what it never carries.

import { env } from 'cloudflare:test'
import { Hono, type Context } from 'hono'
import { describe, expect, it } from 'vitest'
import type { AppEnv } from '../../src/http/env.ts'
import type { Principal } from '../../src/config/principal.ts'
import { mountRoutes } from '../../src/policy/route-table.ts'
import { fhirRoutes } from '../../src/fhir/routes.ts'
import { partsOf, policyRequest, type PolicyRequest } from '../../src/policy/request.ts'
import { errorResponse } from '../../src/app.ts'

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

  it("carries the User a token acts for, without its password, and never a User body's password", async () => {
    const principal: Principal = {
      ...client,
      user: {
        resourceType: 'User',
        id: 'u-1',
        email: 'u@example.org',
        password: 'pbkdf2-sha256$100000$hash',
        data: { ward: 'b' },
      },
    }
    const request = await requestFor('https://fhir.test/fhir/Patient', {}, principal)
    expect(request.user).toEqual({
      resourceType: 'User',
      id: 'u-1',
      email: 'u@example.org',
      data: { ward: 'b' },
    })
    let written: PolicyRequest | undefined
    const app = appWith(principal, async (c) => {
      written = policyRequest(c, 'Update', {
        method: 'PUT',
        path: '/User/u-2',
        query: new URLSearchParams(),
        routeParams: { type: 'User', id: 'u-2' },
        body: { email: 'v@example.org', password: 'plain text' },
      })
      return c.text('ok')
    })
    expect((await app.request('https://fhir.test/fhir/Patient', {}, env)).status).toBe(200)
    expect(written!.body).toEqual({ email: 'v@example.org' })
    expect(JSON.stringify(written)).not.toContain('plain text')
    expect(JSON.stringify(written)).not.toContain('pbkdf2')
  })

  it('has no client, user or jwt for an anonymous caller', async () => {
    const request = await requestFor('https://fhir.test/fhir/Patient', {}, { kind: 'anonymous' })
    expect(request).not.toHaveProperty('client')
    expect(request).not.toHaveProperty('user')
    expect(request).not.toHaveProperty('jwt')
  })
})

// Fail-closed routing: every route the app registers, except the documented public ones, refuses a
// caller that no AccessPolicy allows (403) and an anonymous caller (401) before its handler runs:
// the refused request never reaches D1 and its body is never read. The token service's endpoints
// authenticate their callers themselves (OAuth client authentication, from the body too): a caller
// without client credentials gets 401 invalid_client before anything reaches D1.

import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.ts'
import { basic, registerClient, ROOT, uniqueId } from './helpers.ts'

/** Routes answered without authorisation (documented in the README). */
const PUBLIC = new Set([
  'GET /health',
  'GET /fhir/metadata',
  'GET /.well-known/smart-configuration',
  'GET /fhir/.well-known/smart-configuration',
  'GET /.well-known/jwks.json',
  'GET /fhir/.well-known/openid-configuration',
  'GET /auth/smart-style.json',
  'GET /auth/static/style.css',
])

/**
 * The authorization endpoint and its pages (docs/smart-app-launch.md): opened by a person's browser,
 * so no API credentials; a request that names no registered app or pending authorization, or (the
 * page of allowed apps) carries no session or form token, is answered with an error page (or the
 * login form) before anything reaches D1.
 */
const AUTHORIZATION_PAGES = new Set([
  'GET /auth/authorize',
  'POST /auth/authorize',
  'GET /auth/login',
  'POST /auth/login',
  'GET /auth/consent',
  'POST /auth/consent',
  'POST /auth/logout',
  'GET /auth/grants',
  'POST /auth/grants/login',
  'POST /auth/grants/revoke',
])

/** The token service's endpoints (docs/oauth.md): OAuth client authentication, not policies. */
const TOKEN_SERVICE = new Set(['POST /auth/token', 'POST /auth/introspect', 'POST /auth/revoke'])

function concrete(path: string): string {
  return path
    .replace(/:type\b|:compartment\b|:resourceType\b/g, 'Patient')
    .replace(/:[A-Za-z_]+(\{[^}]*\})?/g, 'x1')
    .replace(/\*/g, '')
}

const app = buildApp()
const routes = app.routes
  .filter((r) => r.method !== 'ALL')
  .map((r) => ({ method: r.method, path: r.path }))
  .filter((r, i, all) => all.findIndex((o) => o.method === r.method && o.path === r.path) === i)

/** `env` with a D1 binding that records every use (and still works). */
function watchedEnv(): { env: Env; used: string[] } {
  const used: string[] = []
  const DB = new Proxy(env.DB, {
    get(target, key) {
      used.push(String(key))
      const value = Reflect.get(target, key) as unknown
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return { env: { ...env, DB }, used }
}

async function refused(method: string, path: string, auth?: string) {
  const body = ['POST', 'PUT', 'PATCH'].includes(method)
    ? JSON.stringify({ resourceType: 'Patient', id: 'x1' })
    : undefined
  const headers: Record<string, string> = body ? { 'content-type': 'application/json' } : {}
  if (auth) headers.authorization = auth
  const request = new Request(`https://fhir.test${concrete(path)}`, { method, headers, body })
  const watched = watchedEnv()
  const res = await app.fetch(request, watched.env)
  return { status: res.status, dbUsed: watched.used, bodyRead: request.bodyUsed }
}

describe('every route is guarded (fail closed)', () => {
  it('registers the routes this test is about', () => {
    expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining([
        'GET /health',
        'PUT /Client/:id',
        'GET /fhir/:type',
        'PUT /fhir/:type/:id',
        'POST /fhir/_search',
      ])
    )
  })

  it('a watched request that is allowed does reach D1 and read its body (the check below can fail)', async () => {
    const res = await refused('PUT', '/fhir/Patient/x1', ROOT)
    expect(res.status).toBeLessThan(300)
    expect(res.dbUsed.length).toBeGreaterThan(0)
    expect(res.bodyRead).toBe(true)
  })

  it.each(
    routes.filter(
      (r) =>
        ![PUBLIC, TOKEN_SERVICE, AUTHORIZATION_PAGES].some((set) =>
          set.has(`${r.method} ${r.path}`)
        )
    )
  )(
    '$method $path: 403 for a client without a policy, 401 for anonymous, before the handler runs',
    async ({ method, path }) => {
      const id = uniqueId('unprivileged')
      await registerClient(id, 'pw-123456')
      const denied = await refused(method, path, basic(id, 'pw-123456'))
      expect(denied).toEqual({ status: 403, dbUsed: [], bodyRead: false })
      const anonymous = await refused(method, path)
      expect(anonymous).toEqual({ status: 401, dbUsed: [], bodyRead: false })
    }
  )
})

describe('the token service authenticates its own callers (RFC 6749 §2.3)', () => {
  it('registers exactly the token service routes this test is about', () => {
    const registered = routes.map((r) => `${r.method} ${r.path}`)
    expect(
      registered.filter(
        (r) =>
          r.includes('/auth/') &&
          !r.includes('test-policy') &&
          !PUBLIC.has(r) &&
          !AUTHORIZATION_PAGES.has(r) &&
          r !== 'POST /auth/launch'
      )
    ).toEqual([...TOKEN_SERVICE])
  })

  it.each([...TOKEN_SERVICE])(
    '%s: 401 invalid_client without client credentials, before anything reaches D1',
    async (route) => {
      const [method, path] = route.split(' ') as [string, string]
      const anonymous = await refused(method, path)
      expect(anonymous.status).toBe(401)
      expect(anonymous.dbUsed).toEqual([])
      // API Basic credentials of a client the token service does not know work no better
      const unknown = await refused(method, path, basic(uniqueId('nobody'), 'pw-123456'))
      expect(unknown.status).toBe(401)
      expect(unknown.dbUsed).toEqual([])
    }
  )
})

describe('the authorization pages refuse what names no app or pending request (RFC 6749 §4.1.2.1)', () => {
  it.each([...AUTHORIZATION_PAGES])('%s: a 4xx page, nothing reaches D1', async (route) => {
    const [method, path] = route.split(' ') as [string, string]
    const request = new Request(`https://fhir.test${path}`, {
      method,
      ...(method === 'POST' && {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'request=not-a-handle&client_id=nobody',
      }),
    })
    const watched = watchedEnv()
    const res = await app.fetch(request, watched.env)
    expect(watched.used).toEqual([])
    // Logging out without a session is simply done; the page of allowed apps asks to sign in;
    // everything else is refused.
    if (route === 'POST /auth/logout') expect(res.status).toBe(200)
    else if (route === 'GET /auth/grants') {
      expect(res.status).toBe(200)
      expect(await res.text()).toContain('action="/auth/grants/login"')
    } else expect(res.status).toBeGreaterThanOrEqual(400)
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(res.headers.get('location')).toBeNull()
  })
})

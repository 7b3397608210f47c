// Fail-closed routing: every route the app registers, except the documented public ones, refuses a
// caller that no AccessPolicy allows (403) and an anonymous caller (401) before its handler runs.

import { describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.ts'
import { basic, call, registerClient, uniqueId } from './helpers.ts'

/** Routes answered without authorisation (documented in the README). */
const PUBLIC = new Set(['GET /health', 'GET /fhir/metadata'])

function concrete(path: string): string {
  return path
    .replace(/:type\b|:compartment\b|:resourceType\b/g, 'Patient')
    .replace(/:[A-Za-z_]+(\{[^}]*\})?/g, 'x1')
    .replace(/\*/g, '')
}

const routes = buildApp()
  .routes.filter((r) => r.method !== 'ALL')
  .map((r) => ({ method: r.method, path: r.path }))
  .filter((r, i, all) => all.findIndex((o) => o.method === r.method && o.path === r.path) === i)

describe('every route is guarded (fail closed)', () => {
  it('registers the routes this test is about', () => {
    expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining(['GET /health', 'PUT /Client/:id', 'GET /fhir/:type', 'PUT /fhir/:type/:id'])
    )
  })

  it.each(routes.filter((r) => !PUBLIC.has(`${r.method} ${r.path}`)))(
    '$method $path: 403 for a client without a policy, 401 for anonymous',
    async ({ method, path }) => {
      const id = uniqueId('unprivileged')
      await registerClient(id, 'pw-123456')
      const body = ['POST', 'PUT', 'PATCH'].includes(method) ? { resourceType: 'Patient', id: 'x1' } : undefined
      const denied = await call(method, concrete(path), { auth: basic(id, 'pw-123456'), body })
      expect(denied.status).toBe(403)
      const anonymous = await call(method, concrete(path), { body })
      expect(anonymous.status).toBe(401)
    }
  )
})

// AccessPolicies through the HTTP API (docs/access-policies.md#how-a-request-is-authorised):
// json-schema, complex and sql policies deciding real requests, and failures that deny (fail
// closed, docs/aidbox.md#fail-closed), logged with the policy id only.

import { afterEach, describe, expect, it, vi } from 'vitest'
import { call, uniqueId } from './helpers.ts'
import { clientWith, putAsRoot, savePolicy } from './policy-helpers.ts'

afterEach(() => {
  vi.restoreAllMocks()
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
      sql: { query: 'SELECT no_such_column FROM resource' },
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

  it('a policy that runs out of its evaluation budget denies, and is logged (docs/access-policies.md#limits)', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    const definitions: Record<string, unknown> = { d24: { type: 'object' } }
    for (let i = 0; i < 24; i++) {
      const next = { $ref: `#/definitions/d${i + 1}` }
      definitions[`d${i}`] = { allOf: [next, next] }
    }
    const { id, auth } = await clientWith({
      engine: 'json-schema',
      schema: { definitions, $ref: '#/definitions/d0' },
    })
    expect((await call('GET', '/fhir/Patient?_count=1', { auth })).status).toBe(403)
    const logged = error.mock.calls.map((args) => String(args[0])).filter((l) => l.includes(id))
    expect(JSON.parse(logged[0]!)).toMatchObject({
      msg: 'AccessPolicy failed; counted as deny',
      policy: `${id}-policy`,
      error: expect.stringMatching(/^BudgetExceeded: /),
    })
  })

  it('a policy with roleName never applies (no caller holds roles yet)', async () => {
    const { auth } = await clientWith({ engine: 'allow', roleName: 'admin' })
    expect((await call('GET', '/fhir/Patient?_count=1', { auth })).status).toBe(403)
  })

  it('the first policy that passes grants: a failing policy does not stop a later one', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    const { id, auth } = await clientWith({
      engine: 'sql',
      sql: { query: 'SELECT no_such_column FROM resource' },
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

// AccessPolicies through the HTTP API (docs/access-policies.md#how-a-request-is-authorised):
// anonymous access through global and Operation-linked policies, the documented traps
// (docs/access-policies.md#the-aidbox-traps-reproduced), and wrong credentials never taken as
// anonymous. Policies that could apply to other tests' callers (global or Operation-linked) only
// match a header value unique to the test.

import { describe, expect, it } from 'vitest'
import { basic, call, registerClient, ROOT, uniqueId } from './helpers.ts'
import { savePolicy } from './policy-helpers.ts'

const removePolicy = (id: string) => call('DELETE', `/AccessPolicy/${id}`, { auth: ROOT })

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

// A write answers with its resource only to a caller that may read it: an access token with `c` or `u`
// but no unrestricted `r` on the type gets `Prefer: return=minimal` whatever it asked (SMART App Launch
// 2 scopes-and-launch-context: `r` is what reads; R4 http.html#ops for Prefer), directly and in Bundles.

import { describe, expect, it } from 'vitest'
import { call, json, ROOT, uniqueId } from './helpers.ts'
import { tokenWith } from './scope-helpers.ts'

const representation = { prefer: 'return=representation' }

describe('writes without r answer without the resource', () => {
  it('create and update with c and u only: no body, the Location and ETag all the same', async () => {
    const auth = await tokenWith('system/Patient.cu')
    const created = await call('POST', '/fhir/Patient', {
      auth,
      headers: representation,
      body: { resourceType: 'Patient', name: [{ family: 'Hidden' }] },
    })
    expect(created.status).toBe(201)
    expect(created.headers.get('location')).toMatch(/\/fhir\/Patient\/[^/]+\/_history\/1$/)
    expect(created.headers.get('etag')).toBe('W/"1"')
    expect(await created.text()).toBe('')
    const id = created.headers.get('location')!.split('/').at(-3)!
    const updated = await call('PUT', `/fhir/Patient/${id}`, {
      auth,
      headers: representation,
      body: { resourceType: 'Patient', id, name: [{ family: 'Still hidden' }] },
    })
    expect(updated.status).toBe(200)
    expect(await updated.text()).toBe('')
  })

  it('a granular r is no r for a write answer: no body', async () => {
    const auth = await tokenWith('system/Patient.cu system/Patient.rs?gender=female')
    const created = await call('POST', '/fhir/Patient', {
      auth,
      headers: representation,
      body: { resourceType: 'Patient', gender: 'female' },
    })
    expect(created.status).toBe(201)
    expect(await created.text()).toBe('')
  })

  it('a patch with u only answers without the patched resource', async () => {
    const id = uniqueId('pt')
    await call('PUT', `/fhir/Patient/${id}`, {
      auth: ROOT,
      body: { resourceType: 'Patient', id, birthDate: '1970-01-01' },
    })
    const auth = await tokenWith('system/Patient.u')
    const patched = await call('PATCH', `/fhir/Patient/${id}`, {
      auth,
      headers: { ...representation, 'content-type': 'application/json-patch+json' },
      body: [{ op: 'add', path: '/active', value: true }],
    })
    expect(patched.status).toBe(200)
    expect(await patched.text()).toBe('')
  })

  it('with r as well, the resource comes back as asked', async () => {
    const auth = await tokenWith('system/Patient.cru')
    const created = await call('POST', '/fhir/Patient', {
      auth,
      headers: representation,
      body: { resourceType: 'Patient', name: [{ family: 'Shown' }] },
    })
    expect(created.status).toBe(201)
    expect((await json(created)).name[0].family).toBe('Shown')
  })

  it.each(['batch', 'transaction'])(
    'a %s entry written with c only has no resource',
    async (type) => {
      const auth = await tokenWith('system/Patient.c')
      const res = await call('POST', '/fhir', {
        auth,
        headers: representation,
        body: {
          resourceType: 'Bundle',
          type,
          entry: [
            {
              fullUrl: 'urn:uuid:0f1a2b3c-0000-4000-8000-000000000001',
              resource: { resourceType: 'Patient', name: [{ family: 'Entry' }] },
              request: { method: 'POST', url: 'Patient' },
            },
          ],
        },
      })
      expect(res.status).toBe(200)
      const [entry] = (await json(res)).entry
      expect(entry.response.status).toBe('201 Created')
      expect(entry.response.location).toMatch(/^Patient\/[^/]+\/_history\/1$/)
      expect(entry.resource).toBeUndefined()
    }
  )
})

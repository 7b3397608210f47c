// GET /fhir/metadata (R4 http.html#capabilities): a public CapabilityStatement generated from what
// the server really does: every R4 resource type, the REST interactions, and the search parameters
// the search engine applies.

import { describe, expect, it } from 'vitest'
import { RESOURCE_TYPES } from '../../src/fhir/definitions/resource-types.generated.ts'
import { ROOT, call, json } from './helpers.ts'

describe('capabilities (http.html#capabilities)', () => {
  it('answers without authentication: FHIR 4.0.1, active, JSON only, a server REST mode', async () => {
    const res = await call('GET', '/fhir/metadata')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/fhir\+json/)
    const cs = await json(res)
    expect(cs).toMatchObject({
      resourceType: 'CapabilityStatement',
      status: 'active',
      kind: 'instance',
      fhirVersion: '4.0.1',
      format: ['json'],
      patchFormat: ['application/json-patch+json'],
      implementation: { url: 'https://fhir.test/fhir' },
    })
    expect(Date.parse(cs.date)).not.toBeNaN()
    expect(cs.rest).toHaveLength(1)
    expect(cs.rest[0].mode).toBe('server')
    expect(cs.rest[0].interaction.map((i: any) => i.code).sort()).toEqual([
      'batch',
      'history-system',
      'search-system',
      'transaction',
    ])
  })

  it('lists every R4 resource type with the interactions and conditional support this server implements', async () => {
    const cs = await json(await call('GET', '/fhir/metadata'))
    const resources = cs.rest[0].resource
    expect(resources.map((r: any) => r.type)).toEqual([...RESOURCE_TYPES])
    const patient = resources.find((r: any) => r.type === 'Patient')
    expect(patient).toMatchObject({
      versioning: 'versioned-update',
      readHistory: true,
      updateCreate: true,
      conditionalCreate: true,
      conditionalRead: 'full-support',
      conditionalUpdate: true,
      conditionalDelete: 'single',
    })
    expect(patient.interaction.map((i: any) => i.code).sort()).toEqual(
      [
        'create',
        'delete',
        'history-instance',
        'history-type',
        'patch',
        'read',
        'search-type',
        'update',
        'vread',
      ].sort()
    )
  })

  it('lists only search parameters the search engine applies (none of them is reported as ignored)', async () => {
    const cs = await json(await call('GET', '/fhir/metadata'))
    for (const type of ['Patient', 'Observation']) {
      const params = cs.rest[0].resource.find((r: any) => r.type === type).searchParam
      expect(params.map((p: any) => p.name)).toContain('_id')
      for (const { name } of params) {
        const res = await call('GET', `/fhir/${type}?${name}=x&_count=1`, { auth: ROOT })
        // 400 means the parameter was applied and its value rejected; a 200 must not list it as ignored.
        if (res.status === 400) continue
        expect(res.status, name).toBe(200)
        const ignored = ((await json(res)).entry ?? []).filter(
          (e: any) => e.search?.mode === 'outcome'
        )
        expect(JSON.stringify(ignored), `${type}.${name}`).not.toContain(
          `Search parameter ${name} was ignored`
        )
      }
    }
  })
})

// Scope checks cost no D1 round trip (docs/scopes.md "Cost"): they are pure, and a granular
// restriction is part of the statement the search or read makes anyway. A warm request with a
// restricted token makes as many round trips as the same request with an unrestricted one.

import { describe, expect, it } from 'vitest'
import { bearerFor, roundTrips } from './helpers.ts'
import { privateTag, tokenClient } from './scope-helpers.ts'

describe('granular scopes add no D1 round trip', () => {
  it.each([
    ['search', 'system/Observation.rs?category=laboratory', '/fhir/Observation?_count=2'],
    ['read', 'system/Observation.rs?category=laboratory', '/fhir/Observation/{id}'],
    [
      'include into a restricted type',
      'system/Observation.rs system/Patient.rs?gender=female',
      '/fhir/Observation?_count=2&_include=Observation:subject:Patient',
    ],
    [
      'chain through a restricted type',
      'system/Observation.rs system/Patient.rs?gender=female',
      '/fhir/Observation?_count=2&subject:Patient.gender=female',
    ],
  ])('%s', async (_name, scope, template) => {
    const tag = privateTag('cost')
    const id = `cost-${crypto.randomUUID().slice(0, 8)}`
    await tag.put(
      { resourceType: 'Patient', id: `${id}-pt`, gender: 'female' },
      {
        resourceType: 'Observation',
        id,
        status: 'final',
        code: { text: 'cost' },
        category: [{ coding: [{ code: 'laboratory' }] }],
        subject: { reference: `Patient/${id}-pt` },
      }
    )
    const path = template.replace('{id}', id)
    const clientId = await tokenClient('cost')
    const restricted = (await bearerFor(clientId, scope)).auth
    const open = (await bearerFor(clientId, 'system/*.cruds')).auth
    await roundTrips(path, restricted)
    await roundTrips(path, open)
    const openTrips = await roundTrips(path, open)
    expect(openTrips).toBeGreaterThan(0)
    expect(await roundTrips(path, restricted)).toBe(openTrips)
  })
})

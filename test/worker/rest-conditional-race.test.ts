// Concurrent conditional creates (R4 http.html#ccreate, #cond-update; issue 10): of 20 requests that
// all find no match, exactly one creates and the others find it (200), in every round.

import { describe, expect, it } from 'vitest'
import { call, json, ROOT, uniqueId } from './helpers.ts'

const statuses = (responses: Response[]) =>
  responses
    .map((r) => r.status)
    .reduce<Record<number, number>>((a, s) => ((a[s] = (a[s] ?? 0) + 1), a), {})

async function total(query: string): Promise<number> {
  return (await json(await call('GET', `/fhir/Patient?${query}&_total=accurate`, { auth: ROOT })))
    .total
}

describe('concurrent conditional creates create one resource (http.html#ccreate)', () => {
  it('20 concurrent PUT Patient?identifier=x|y without a match: one 201, nineteen 200, five rounds', async () => {
    for (let round = 0; round < 5; round++) {
      const value = uniqueId('race-put')
      const query = `identifier=${encodeURIComponent(`urn:race|${value}`)}`
      const body = { resourceType: 'Patient', identifier: [{ system: 'urn:race', value }] }
      const responses = await Promise.all(
        Array.from({ length: 20 }, () =>
          call('PUT', `/fhir/Patient?${query}`, { auth: ROOT, body })
        )
      )
      expect(statuses(responses)).toEqual({ 200: 19, 201: 1 })
      expect(await total(query)).toBe(1)
    }
  })

  it('20 concurrent POST with the same If-None-Exist: one 201, nineteen 200, five rounds', async () => {
    for (let round = 0; round < 5; round++) {
      const value = uniqueId('race-post')
      const query = `identifier=${encodeURIComponent(`urn:race|${value}`)}`
      const body = { resourceType: 'Patient', identifier: [{ system: 'urn:race', value }] }
      const responses = await Promise.all(
        Array.from({ length: 20 }, () =>
          call('POST', '/fhir/Patient', { auth: ROOT, body, headers: { 'if-none-exist': query } })
        )
      )
      expect(statuses(responses)).toEqual({ 200: 19, 201: 1 })
      expect(await total(query)).toBe(1)
    }
  })

  it('10 concurrent transactions with the same conditional create: one creates', async () => {
    for (let round = 0; round < 3; round++) {
      const value = uniqueId('race-tx')
      const query = `identifier=${encodeURIComponent(`urn:race|${value}`)}`
      const bundle = {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          {
            resource: { resourceType: 'Patient', identifier: [{ system: 'urn:race', value }] },
            request: { method: 'POST', url: 'Patient', ifNoneExist: query },
          },
        ],
      }
      const responses = await Promise.all(
        Array.from({ length: 10 }, () => call('POST', '/fhir', { auth: ROOT, body: bundle }))
      )
      expect(statuses(responses)).toEqual({ 200: 10 })
      expect(await total(query)).toBe(1)
    }
  })
})

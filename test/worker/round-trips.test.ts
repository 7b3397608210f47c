// What a request costs in D1 round trips, counted on the binding itself: a bearer request makes no more
// round trips than the same request over HTTP Basic, because its revocation check rides in the
// request's own db.batch() (src/auth/token-guard.ts), and a JWT is verified without D1.

import { describe, expect, it } from 'vitest'
import { allowClient, basic, bearerFor, registerClient, roundTrips, uniqueId } from './helpers.ts'

describe('D1 round trips per request (issue 11: bearer costs no more than Basic)', () => {
  it.each([
    '/fhir/Patient?_count=2',
    '/fhir/Observation?code=4548-4&_count=2',
    '/fhir/Patient?_count=1&_revinclude=Observation:subject',
  ])(
    'GET %s: a warm JWT bearer request makes as many round trips as a warm Basic one',
    async (path) => {
      const id = uniqueId('trips')
      const secret = `s3cret-${crypto.randomUUID()}`
      await registerClient(id, secret, {
        grant_types: ['basic', 'client_credentials'],
        scope: ['system/*.cruds'],
      })
      await allowClient(id)
      const { auth } = await bearerFor(id, 'system/*.cruds')
      const viaBasic = basic(id, secret)
      // Warm both: the isolate has verified the secret and cached the Client.
      await roundTrips(path, viaBasic)
      await roundTrips(path, auth)
      const basicTrips = await roundTrips(path, viaBasic)
      const bearerTrips = await roundTrips(path, auth)
      expect(basicTrips).toBeGreaterThan(0)
      expect(bearerTrips).toBe(basicTrips)
    }
  )

  it('a warm opaque token costs no extra round trip either (its record is remembered per isolate)', async () => {
    const id = uniqueId('trips')
    const secret = `s3cret-${crypto.randomUUID()}`
    await registerClient(id, secret, {
      grant_types: ['basic', 'client_credentials'],
      scope: ['system/*.cruds'],
    })
    await allowClient(id)
    const { auth } = await bearerFor(id, 'system/*.cruds', 'opaque')
    const path = '/fhir/Patient?_count=2'
    await roundTrips(path, basic(id, secret))
    await roundTrips(path, auth)
    expect(await roundTrips(path, auth)).toBe(await roundTrips(path, basic(id, secret)))
  })
})

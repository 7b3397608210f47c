// What a request costs in D1 round trips, counted on the binding itself: a bearer request makes no more
// round trips than the same request over HTTP Basic, because its revocation check rides in the
// request's own db.batch() (src/auth/token-guard.ts), and a JWT is verified without D1.

import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import worker from '../../src/index.ts'
import { allowClient, basic, bearerFor, registerClient, uniqueId } from './helpers.ts'

/** env with DB wrapped so every call that reaches D1 (a round trip) is counted. */
function counting(): { env: Env; trips: () => number } {
  let trips = 0
  const count = <T>(p: Promise<T>) => {
    trips++
    return p
  }
  const wrap = (statement: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(statement, {
      get(target, prop) {
        if (prop === 'bind') return (...v: unknown[]) => wrap(target.bind(...v))
        if (prop === 'first' || prop === 'all' || prop === 'run' || prop === 'raw')
          return (...a: unknown[]) =>
            count((target[prop] as (...x: unknown[]) => Promise<unknown>)(...a))
        const value = Reflect.get(target, prop) as unknown
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
  const db = new Proxy(env.DB, {
    get(target, prop) {
      if (prop === 'prepare') return (sql: string) => wrap(target.prepare(sql))
      if (prop === 'batch')
        return (statements: D1PreparedStatement[]) => count(target.batch(statements))
      const value = Reflect.get(target, prop) as unknown
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return { env: { ...env, DB: db }, trips: () => trips }
}

async function tripsOf(path: string, authorization: string): Promise<number> {
  const { env: counted, trips } = counting()
  const ctx = createExecutionContext()
  const res = await worker.fetch(
    new Request(`https://fhir.test${path}`, {
      headers: { authorization, 'cf-connecting-ip': '2001:db8:7::1' },
    }),
    counted,
    ctx
  )
  await waitOnExecutionContext(ctx)
  expect(res.status, await res.clone().text()).toBe(200)
  await res.arrayBuffer()
  return trips()
}

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
      await tripsOf(path, viaBasic)
      await tripsOf(path, auth)
      const basicTrips = await tripsOf(path, viaBasic)
      const bearerTrips = await tripsOf(path, auth)
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
    await tripsOf(path, basic(id, secret))
    await tripsOf(path, auth)
    expect(await tripsOf(path, auth)).toBe(await tripsOf(path, basic(id, secret)))
  })
})

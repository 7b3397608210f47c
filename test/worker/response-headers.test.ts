// Headers every response carries: X-Request-Id (a well-formed incoming one echoed, else a new one;
// also in every log line of the request), `Cache-Control: no-store` (answers may hold patient data
// and carry ETag / Last-Modified, which invite caching) and `X-Content-Type-Options: nosniff`.

import { env } from 'cloudflare:test'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { call, ROOT, uniqueId } from './helpers.ts'

afterEach(() => {
  vi.restoreAllMocks()
})

describe('X-Request-Id and the security headers', () => {
  it('are on every kind of answer: public, 200 with data, 304, 401, 404, 415', async () => {
    const id = uniqueId('hdr')
    await call('PUT', `/fhir/Patient/${id}`, { auth: ROOT, body: { resourceType: 'Patient', id } })
    const answers = [
      await call('GET', '/health'),
      await call('GET', '/fhir/metadata'),
      await call('GET', `/fhir/Patient/${id}`, { auth: ROOT }),
      await call('GET', `/fhir/Patient/${id}`, {
        auth: ROOT,
        headers: { 'if-none-match': 'W/"1"' },
      }),
      await call('GET', `/fhir/Patient/${id}`),
      await call('GET', '/nowhere', { auth: ROOT }),
      await call('POST', '/fhir/Patient', {
        auth: ROOT,
        body: '<Patient/>',
        headers: { 'content-type': 'application/xml' },
      }),
    ]
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 304, 401, 404, 415])
    for (const res of answers) {
      expect(res.headers.get('x-request-id'), String(res.status)).toMatch(/^[0-9a-f-]{36}$/)
      expect(res.headers.get('cache-control')).toBe('no-store')
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    }
    expect(new Set(answers.map((r) => r.headers.get('x-request-id'))).size).toBe(answers.length)
  })

  it('echoes a well-formed incoming X-Request-Id and replaces a malformed one', async () => {
    const mine = `trace-${crypto.randomUUID()}`
    const echoed = await call('GET', '/health', { headers: { 'x-request-id': mine } })
    expect(echoed.headers.get('x-request-id')).toBe(mine)
    for (const bad of ['short', 'has space in it', 'x'.repeat(129), 'quote"and<tag>']) {
      const res = await call('GET', '/health', { headers: { 'x-request-id': bad } })
      expect(res.headers.get('x-request-id'), bad).toMatch(/^[0-9a-f-]{36}$/)
    }
  })

  it('is in the log line of a failure, so the line matches the answer the caller saw', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    const key = `AccessPolicy/${uniqueId('broken')}`
    // A policy whose sql fails at evaluation: logged and counted as deny.
    await env.AUTH.put(
      key,
      JSON.stringify({
        engine: 'sql',
        sql: { query: 'SELECT no_such_column FROM resource LIMIT 1' },
        link: [{ reference: 'Operation/FhirSystemHistory' }],
      })
    )
    try {
      const mine = `trace-${crypto.randomUUID()}`
      const { clearAuthCache } = await import('../../src/config/store.ts')
      clearAuthCache()
      const res = await call('GET', '/fhir/_history?_count=1', {
        headers: { 'x-request-id': mine },
      })
      expect(res.status).toBe(401)
      const lines = error.mock.calls.map(
        (args) => JSON.parse(String(args[0])) as Record<string, unknown>
      )
      expect(lines).toContainEqual(
        expect.objectContaining({ msg: 'AccessPolicy failed; counted as deny', request_id: mine })
      )
    } finally {
      await env.AUTH.delete(key)
    }
  })
})

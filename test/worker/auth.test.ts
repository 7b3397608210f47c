// Authentication and authorisation of every request: HTTP Basic (RFC 7617), the root client,
// KV Clients with hashed secrets, AccessPolicy `allow`, and fail-closed 401/403 answers.

import { env } from 'cloudflare:test'
import { describe, expect, it, vi } from 'vitest'
import { parseAuthorization } from '../../src/auth/basic.ts'
import { hashSecret } from '../../src/lib/secrets.ts'
import {
  allowClient,
  allowedClient,
  basic,
  call,
  json,
  registerClient,
  ROOT,
  uniqueId,
} from './helpers.ts'

describe('Authorization header parsing (RFC 7617)', () => {
  it('splits Basic credentials at the first colon and keeps later colons in the secret (§2)', () => {
    expect(parseAuthorization(basic('abc', 'x:y:z'))).toEqual({
      kind: 'basic',
      id: 'abc',
      secret: 'x:y:z',
    })
  })

  it('accepts the scheme name in any case (RFC 7235 §2.1)', () => {
    const token = btoa('abc:def')
    expect(parseAuthorization(`bAsIc ${token}`)).toEqual({
      kind: 'basic',
      id: 'abc',
      secret: 'def',
    })
  })

  it('does not URL-decode Basic credentials (RFC 7617, unlike RFC 6749 App. B)', () => {
    expect(parseAuthorization(`Basic ${btoa('a%20b:c%3Ad')}`)).toEqual({
      kind: 'basic',
      id: 'a%20b',
      secret: 'c%3Ad',
    })
  })

  it('decodes UTF-8 credentials (RFC 7617 §2.1 charset)', () => {
    expect(parseAuthorization(basic('app', 'pässwörd'))).toEqual({
      kind: 'basic',
      id: 'app',
      secret: 'pässwörd',
    })
  })

  it.each([
    ['no credentials after the scheme', 'Basic'],
    ['bad base64', 'Basic %%%%'],
    ['base64 without padding', `Basic ${btoa('ab:c').replace(/=+$/, '')}x`],
    ['no colon', `Basic ${btoa('justanid')}`],
    ['an empty client id', `Basic ${btoa(':secret')}`],
    ['invalid UTF-8', `Basic ${btoa('\xff\xfe:x')}`],
    ['a control character', `Basic ${btoa('id:se\ncret')}`],
    ['an unknown scheme', 'Digest abc'],
  ])('treats %s as invalid', (_label, header) => {
    expect(parseAuthorization(header).kind).toBe('invalid')
  })

  it('treats a missing header as no credentials', () => {
    expect(parseAuthorization(undefined)).toEqual({ kind: 'none' })
  })
})

/** What a caller can tell apart in a refusal: status, challenge, media type and body. */
async function failure(response: Promise<Response>) {
  const res = await response
  return {
    status: res.status,
    challenge: res.headers.get('www-authenticate'),
    type: res.headers.get('content-type'),
    body: await res.json(),
  }
}

describe('authentication of requests', () => {
  it('answers /health without credentials', async () => {
    const res = await call('GET', '/health')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'ok' })
  })

  it('answers 401 with a Basic challenge and a login OperationOutcome when credentials are missing', async () => {
    const res = await call('GET', '/fhir/Observation')
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="edge-fhir"/)
    expect(res.headers.get('content-type')).toMatch(/^application\/fhir\+json/)
    const body = await json(res)
    expect(body.resourceType).toBe('OperationOutcome')
    expect(body.issue[0].code).toBe('login')
  })

  it('never answers 500 for a malformed header: bad base64 is 401', async () => {
    for (const header of [
      'Basic !!!',
      'Basic',
      'Basic YQ',
      `Basic ${btoa('nocolon')}`,
      `Basic ${btoa(':x')}`,
    ]) {
      const res = await call('GET', '/fhir/Observation', { auth: header })
      expect(res.status, header).toBe(401)
      expect((await json(res)).issue[0].code).toBe('login')
    }
  })

  it('lets the root client (Worker secrets) do anything without a policy', async () => {
    const res = await call('GET', '/fhir/Observation?_count=1', { auth: ROOT })
    expect(res.status).toBe(200)
  })

  it('refuses the root id with a wrong secret', async () => {
    const res = await call('GET', '/fhir/Observation', { auth: basic('root', 'wrong') })
    expect(res.status).toBe(401)
  })

  it('answers an unknown client id and a wrong secret identically (no account enumeration)', async () => {
    const { id } = await allowedClient()
    const wrong = await call('GET', '/fhir/Observation', { auth: basic(id, 'wrong-secret') })
    const unknown = await call('GET', '/fhir/Observation', {
      auth: basic(uniqueId('nobody'), 'wrong-secret'),
    })
    expect(wrong.status).toBe(401)
    expect(unknown.status).toBe(401)
    expect(await wrong.json()).toEqual(await unknown.json())
  })

  it('authenticates a client with its secret and lets an allow policy grant it everything', async () => {
    const { auth } = await allowedClient()
    expect((await call('GET', '/fhir/Observation?_count=1', { auth })).status).toBe(200)
    // again, now from the isolate's verified-secret cache
    expect((await call('GET', '/fhir/Observation?_count=1', { auth })).status).toBe(200)
  })

  it('refuses a wrong secret after the right one was cached', async () => {
    const { id, auth } = await allowedClient()
    expect((await call('GET', '/fhir/Observation', { auth })).status).toBe(200)
    expect((await call('GET', '/fhir/Observation', { auth: basic(id, 'not-it') })).status).toBe(401)
  })

  it.each([
    [
      'without "basic" in grant_types (docs/aidbox.md#grant-types)',
      { grant_types: ['client_credentials'] },
    ],
    ['with "active": false', { grant_types: ['basic'], active: false }],
  ])(
    'gives a client %s one 401 for its right secret, a wrong one and an unknown id (no confirmation of a stolen secret)',
    async (_label, fields) => {
      const id = uniqueId('unusable')
      await registerClient(id, 'pw-123456', fields)
      await allowClient(id)
      const right = await failure(
        call('GET', '/fhir/Observation', { auth: basic(id, 'pw-123456') })
      )
      const wrong = await failure(call('GET', '/fhir/Observation', { auth: basic(id, 'not-it') }))
      const unknown = await failure(
        call('GET', '/fhir/Observation', { auth: basic(uniqueId('nobody'), 'pw-123456') })
      )
      expect(right.status).toBe(401)
      expect(right).toEqual(wrong)
      expect(right).toEqual(unknown)
    }
  )

  it('does the same PBKDF2 work for the right and a wrong secret of a disabled client, every time', async () => {
    const id = uniqueId('inactive')
    await registerClient(id, 'pw-123456', { grant_types: ['basic'], active: false })
    const derivations = vi.spyOn(crypto.subtle, 'deriveBits')
    try {
      for (const secret of ['pw-123456', 'pw-123456', 'not-it', 'pw-123456']) {
        derivations.mockClear()
        const res = await call('GET', '/fhir/Observation', { auth: basic(id, secret) })
        expect(res.status).toBe(401)
        expect(derivations, secret).toHaveBeenCalledTimes(1)
      }
    } finally {
      derivations.mockRestore()
    }
  })

  it('refuses a Client written into KV with a plain-text secret, and logs a warning (fail closed)', async () => {
    const id = uniqueId('plain')
    await env.AUTH.put(
      `Client/${id}`,
      JSON.stringify({ id, secret: 'plaintext', grant_types: ['basic'] })
    )
    await allowClient(id)
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const res = await call('GET', '/fhir/Observation', { auth: basic(id, 'plaintext') })
    expect(res.status).toBe(401)
    const logged = warn.mock.calls.map((args) => String(args[0])).join('\n')
    expect(logged).toContain('not in the stored hash form')
    expect(logged).toContain(id)
    expect(logged).not.toContain('plaintext')
    warn.mockRestore()
  })

  it('accepts a Client written into KV by hand with a hashed secret (npm run hash-secret)', async () => {
    const id = uniqueId('byhand')
    await env.AUTH.put(
      `Client/${id}`,
      JSON.stringify({ id, secret: await hashSecret('hand-made'), grant_types: ['basic'] })
    )
    await allowClient(id)
    expect((await call('GET', '/fhir/Observation', { auth: basic(id, 'hand-made') })).status).toBe(
      200
    )
  })

  it('answers 403 forbidden to an authenticated client that no policy allows (deny by default)', async () => {
    const id = uniqueId('nopolicy')
    await registerClient(id, 'pw-123456')
    const res = await call('GET', '/fhir/Observation', { auth: basic(id, 'pw-123456') })
    expect(res.status).toBe(403)
    expect(res.headers.get('www-authenticate')).toBeNull()
    expect((await json(res)).issue[0].code).toBe('forbidden')
  })

  it('does not grant a client the policies linked to another client', async () => {
    const other = await allowedClient('other')
    const id = uniqueId('mine')
    await registerClient(id, 'pw-123456')
    expect((await call('GET', '/fhir/Observation', { auth: other.auth })).status).toBe(200)
    expect((await call('GET', '/fhir/Observation', { auth: basic(id, 'pw-123456') })).status).toBe(
      403
    )
  })

  it('accepts both link forms: {"reference":"Client/x"} and {"resourceType":"Client","id":"x"}', async () => {
    const id = uniqueId('refform')
    await registerClient(id, 'pw-123456')
    const put = await call('PUT', `/AccessPolicy/${id}-allow`, {
      auth: ROOT,
      body: { engine: 'allow', link: [{ reference: `Client/${id}` }] },
    })
    expect(put.status).toBe(201)
    expect((await call('GET', '/fhir/Observation', { auth: basic(id, 'pw-123456') })).status).toBe(
      200
    )
  })

  it('never evaluates wrong credentials as anonymous, even where anonymous access is allowed', async () => {
    const policyId = uniqueId('public-read')
    const { id } = await allowedClient()
    const created = await call('PUT', `/AccessPolicy/${policyId}`, {
      auth: ROOT,
      body: { engine: 'allow', link: [{ reference: 'Operation/FhirRead' }] },
    })
    expect(created.status).toBe(201)
    try {
      // anonymous FhirRead is now allowed (404: the resource does not exist, but the handler ran)
      expect((await call('GET', '/fhir/Patient/does-not-exist')).status).toBe(404)
      // anonymous search is not
      expect((await call('GET', '/fhir/Patient')).status).toBe(401)
      // wrong credentials are refused outright
      expect(
        (await call('GET', '/fhir/Patient/does-not-exist', { auth: basic(id, 'wrong') })).status
      ).toBe(401)
    } finally {
      await call('DELETE', `/AccessPolicy/${policyId}`, { auth: ROOT })
    }
    expect((await call('GET', '/fhir/Patient/does-not-exist')).status).toBe(401)
  })

  it('refuses Bearer tokens for now with 401 rather than treating the caller as anonymous', async () => {
    const res = await call('GET', '/fhir/Observation', { auth: 'Bearer abc.def.ghi' })
    expect(res.status).toBe(401)
  })

  it('checks credentials before routing: wrong credentials are 401 even on an unknown route', async () => {
    expect((await call('GET', '/no/such/route', { auth: basic('root', 'wrong') })).status).toBe(401)
    // routes are public knowledge (Aidbox resolves them before authorising): no credentials, 404
    expect((await call('GET', '/no/such/route')).status).toBe(404)
    expect((await call('GET', '/no/such/route', { auth: ROOT })).status).toBe(404)
  })
})

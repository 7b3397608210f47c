// The token service's safeguards: the limits on authentication attempts (throttle.ts, the same
// Workers Rate Limiting bindings as HTTP Basic on the API) for every method at every endpoint; one
// audit line per request that never holds a secret, an assertion or a token; and no 5xx for any
// input (fast-check).

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { basic, call, uniqueId } from './helpers.ts'
import { fuzzParams } from './fuzz-harness.ts'
import {
  assertion,
  assertionFields,
  auditLines,
  captureLogs,
  clientSecretBasic,
  expectToken,
  freshAddress,
  keyPair,
  oauthAdminPut,
  oauthCall,
  secretClient,
  tokenRequest,
} from './oauth-helpers.ts'

// simple.limit of the two [[ratelimits]] in wrangler.toml; both have simple.period = 10.
const CLIENT_LIMIT = 20
const ADDRESS_LIMIT = 60
const PERIOD_MS = 10_000
const GRANT = { grant_type: 'client_credentials' }

/** Waits for a new fixed window of Miniflare's limiter when the current one has less than `ms` left. */
async function windowWithRoom(ms: number): Promise<void> {
  const left = PERIOD_MS - (Date.now() % PERIOD_MS)
  if (left < ms) await new Promise((resolve) => setTimeout(resolve, left + 50))
}

async function expectThrottled(res: Response): Promise<void> {
  const text = await res.text()
  expect(res.status, text).toBe(429)
  const retryAfter = Number(res.headers.get('retry-after'))
  expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 10).toBe(true)
  expect(res.headers.get('cache-control')).toBe('no-store')
  expect(res.headers.get('pragma')).toBe('no-cache')
  expect(JSON.parse(text).error).toBe('temporarily_unavailable')
}

/** A client that may use every method: a secret and a registered key. */
async function everyMethodClient() {
  const id = uniqueId('limits')
  const secret = `s3cret-${crypto.randomUUID()}`
  const key = await keyPair('ES384')
  const res = await oauthAdminPut(id, {
    secret,
    grant_types: ['basic', 'client_credentials'],
    jwks: { keys: [key.publicJwk] },
  })
  expect(res.status).toBe(201)
  return {
    id,
    secret,
    signer: { id, privateKey: key.privateKey, kid: key.kid, alg: 'ES384' as const },
  }
}

describe(
  'limits on authentication attempts at the token service (RFC 6749 §10.10, RFC 6819 §5.1.4.2.3)',
  { timeout: 40_000 },
  () => {
    it('429 with Retry-After for every method and endpoint once a client id is over its limit, the right credentials included; other clients unaffected', async () => {
      const client = await everyMethodClient()
      const other = await secretClient()
      const stranger = await keyPair('ES384')
      await windowWithRoom(5000)
      // failures by every method, each from its own address
      const failures = [
        () => tokenRequest({ form: GRANT, auth: clientSecretBasic(client.id, 'wrong') }),
        () => tokenRequest({ form: { ...GRANT, client_id: client.id, client_secret: 'wrong' } }),
        async () =>
          tokenRequest({
            form: {
              ...GRANT,
              ...assertionFields(
                await assertion({ ...client.signer, privateKey: stranger.privateKey })
              ),
            },
          }),
        () =>
          oauthCall('/auth/introspect', {
            form: { token: 'x' },
            auth: clientSecretBasic(client.id, 'wrong'),
          }),
      ]
      for (let i = 0; i < CLIENT_LIMIT; i++) {
        const res = await failures[i % failures.length]!()
        expect(res.status, `attempt ${i + 1}`).toBe(401)
      }
      const rights = [
        () => tokenRequest({ form: GRANT, auth: clientSecretBasic(client.id, client.secret) }),
        () =>
          tokenRequest({ json: { ...GRANT, client_id: client.id, client_secret: client.secret } }),
        async () =>
          tokenRequest({ form: { ...GRANT, ...assertionFields(await assertion(client.signer)) } }),
        () =>
          oauthCall('/auth/introspect', {
            form: { token: 'x' },
            auth: clientSecretBasic(client.id, client.secret),
          }),
        () =>
          oauthCall('/auth/revoke', {
            form: { token: 'x', client_id: client.id, client_secret: client.secret },
          }),
      ]
      for (const right of rights) await expectThrottled(await right())
      // the same id on the API, which shares the limit
      const api = await call('GET', '/fhir/Patient', {
        auth: basic(client.id, client.secret),
        headers: { 'cf-connecting-ip': freshAddress() },
      })
      expect(api.status).toBe(429)
      // another client id is unaffected
      await expectToken(
        await tokenRequest({ form: GRANT, auth: clientSecretBasic(other.id, other.secret) })
      )
    })

    it('a token request verified in this isolate before the limit is still refused while over it', async () => {
      const client = await secretClient()
      const auth = clientSecretBasic(client.id, client.secret)
      await windowWithRoom(4000)
      await expectToken(await tokenRequest({ form: GRANT, auth })) // one unit; later ones are cached
      for (let i = 0; i < CLIENT_LIMIT - 1; i++) {
        expect(
          (await tokenRequest({ form: GRANT, auth: clientSecretBasic(client.id, `w${i}`) })).status
        ).toBe(401)
      }
      await expectThrottled(
        await tokenRequest({ form: GRANT, auth: clientSecretBasic(client.id, 'w') })
      )
      await expectThrottled(await tokenRequest({ form: GRANT, auth }))
    })

    it('429 for every client from an address over its limit, and only from it', async () => {
      const client = await secretClient()
      const [limited, elsewhere] = [freshAddress(), freshAddress()]
      await windowWithRoom(7000)
      for (let i = 0; i < ADDRESS_LIMIT; i++) {
        const res = await tokenRequest({
          form: { ...GRANT, client_id: uniqueId('spray'), client_secret: 'guess' },
          address: limited,
        })
        expect(res.status, `attempt ${i + 1}`).toBe(401)
      }
      await expectThrottled(
        await tokenRequest({
          form: GRANT,
          auth: clientSecretBasic(client.id, client.secret),
          address: limited,
        })
      )
      await expectToken(
        await tokenRequest({
          form: GRANT,
          auth: clientSecretBasic(client.id, client.secret),
          address: elsewhere,
        })
      )
    })

    it('counts nothing for malformed requests, requests without credentials, and ids no Client can have', async () => {
      const address = freshAddress()
      const client = await secretClient()
      await windowWithRoom(4000)
      for (let i = 0; i < ADDRESS_LIMIT + 5; i++) {
        const requests = [
          tokenRequest({ form: GRANT, address }),
          tokenRequest({ form: GRANT, auth: 'Basic !!', address }),
          tokenRequest({
            form: { ...GRANT, client_id: 'not an id!', client_secret: 'x' },
            address,
          }),
        ]
        for (const res of await Promise.all(requests)) expect(res.status).not.toBe(429)
      }
      await expectToken(
        await tokenRequest({
          form: GRANT,
          auth: clientSecretBasic(client.id, client.secret),
          address,
        })
      )
    })
  }
)

describe('audit lines (one per request, never a credential)', () => {
  it('logs a token issued, refused, introspected and revoked, each once, with the request id, and no secret, assertion or token', async () => {
    const client = await secretClient({ auth: { client_credentials: { token_format: 'jwt' } } })
    const key = await keyPair('RS384')
    const keyed = uniqueId('audit-pkj')
    await oauthAdminPut(keyed, {
      grant_types: ['client_credentials'],
      jwks: { keys: [key.publicJwk] },
    })
    const signer = { id: keyed, privateKey: key.privateKey, kid: key.kid, alg: 'RS384' as const }
    const jwt = await assertion(signer)

    const { result, lines } = await captureLogs(async () => {
      const issued = await tokenRequest({
        form: GRANT,
        auth: clientSecretBasic(client.id, client.secret),
      })
      const token = ((await issued.clone().json()) as { access_token: string }).access_token
      const refused = await tokenRequest({
        form: { ...GRANT, client_id: client.id, client_secret: `${client.secret}-wrong` },
      })
      const byKey = await tokenRequest({ form: { ...GRANT, ...assertionFields(jwt) } })
      const replayed = await tokenRequest({ form: { ...GRANT, ...assertionFields(jwt) } })
      const introspected = await oauthCall('/auth/introspect', {
        form: { token },
        auth: clientSecretBasic(client.id, client.secret),
      })
      const revoked = await oauthCall('/auth/revoke', {
        form: { token },
        auth: clientSecretBasic(client.id, client.secret),
      })
      return { token, responses: [issued, refused, byKey, replayed, introspected, revoked] }
    })

    const audit = auditLines(lines)
    expect(audit.map((l) => [l.event, l.outcome])).toEqual([
      ['oauth.token', 'issued'],
      ['oauth.token', 'refused'],
      ['oauth.token', 'issued'],
      ['oauth.token', 'refused'],
      ['oauth.introspect', 'active'],
      ['oauth.revoke', 'revoked'],
    ])
    audit.forEach((line, i) => {
      expect(line.level).toBe('info')
      expect(line.request_id).toBe(result.responses[i]!.headers.get('x-request-id'))
    })
    expect(audit[0]).toMatchObject({
      client_id: client.id,
      auth_method: 'client_secret_basic',
      grant_type: 'client_credentials',
      scope: 'system/*.*',
      format: 'jwt',
      expires_in: 300,
      jti: expect.any(String),
    })
    expect(audit[1]).toMatchObject({
      client_id: client.id,
      auth_method: 'client_secret_post',
      error: 'invalid_client',
      reason: 'wrong secret',
    })
    expect(audit[2]).toMatchObject({ client_id: keyed, auth_method: 'private_key_jwt' })
    expect(audit[3]).toMatchObject({ error: 'invalid_client', reason: 'assertion jti replayed' })
    const everything = lines.join('\n')
    for (const secret of [
      client.secret,
      jwt,
      result.token,
      ...jwt.split('.'),
      ...result.token.split('.'),
    ]) {
      expect(everything).not.toContain(secret)
    }
  })
})

describe('no input makes a 5xx (fast-check)', { timeout: 120_000 }, () => {
  it('answers every generated request to the OAuth endpoints with an OAuth answer below 500', async () => {
    const known = await secretClient({ scope: ['system/Patient.rs'] })
    const special = fc.constantFrom(
      known.id,
      known.secret,
      'client_credentials',
      'system/Patient.rs',
      '%',
      '+',
      ':',
      '%zz',
      '\u0000'
    )
    // Header values: printable ASCII (fetch refuses or re-encodes anything else before it is sent).
    const headerTexts = fc.oneof(fc.string(), special)
    const texts = fc.oneof(headerTexts, fc.string({ unit: 'binary' }))
    const fields = fc.dictionary(
      fc.constantFrom(
        'grant_type',
        'client_id',
        'client_secret',
        'scope',
        'token',
        'token_type_hint',
        'client_assertion',
        'client_assertion_type',
        'x'
      ),
      texts,
      { maxKeys: 6 }
    )
    const request = fc.record({
      path: fc.constantFrom('/auth/token', '/auth/introspect', '/auth/revoke'),
      method: fc.constantFrom('POST', 'POST', 'POST', 'GET', 'PUT'),
      kind: fc.constantFrom('form', 'json', 'raw'),
      fields,
      raw: texts,
      contentType: fc.constantFrom(
        undefined,
        'application/x-www-form-urlencoded',
        'application/json',
        'text/plain',
        'application/x-www-form-urlencoded; charset=latin1'
      ),
      auth: fc.oneof(
        fc.constant(undefined),
        fc.constant(clientSecretBasic(known.id, known.secret)),
        headerTexts.map((t) => `Basic ${t}`),
        fc.tuple(texts, texts).map(([id, secret]) => clientSecretBasic(id, secret)),
        headerTexts
      ),
    })
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const hasBody = r.method !== 'GET'
        const res = await oauthCall(r.path, {
          method: r.method,
          auth: r.auth?.replace(/[\r\n\u0000]/g, ''),
          ...(!hasBody
            ? {}
            : r.kind === 'form'
              ? { form: Object.entries(r.fields) }
              : r.kind === 'json'
                ? { json: r.fields }
                : { raw: { body: r.raw, contentType: r.contentType } }),
        }).catch((err: unknown) => {
          // a header value fetch itself refuses never reaches the server
          if (err instanceof TypeError) return null
          throw err
        })
        if (!res) return
        expect(res.status).toBeLessThan(500)
        expect(res.headers.get('cache-control')).toBe('no-store')
        const text = await res.text()
        if (res.status !== 200) expect(JSON.parse(text).error).toMatch(/^[a-z_]+$/)
      }),
      fuzzParams(150)
    )
  })
})

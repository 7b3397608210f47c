// Client authentication at the token endpoint with a secret (RFC 6749 §2.3.1 and Appendix B): the
// two methods, the form-url-decoded Basic header, exactly one method per request, the registered
// method, and failures that all look alike (node-oidc-provider's client-authentication checklist).

import { afterEach, describe, expect, it, vi } from 'vitest'
import { basic, uniqueId } from './helpers.ts'
import {
  base64,
  clientSecretBasic,
  expectOAuthError,
  expectToken,
  formEncode,
  JWT_BEARER,
  oauthAdminPut,
  secretClient,
  tokenRequest,
} from './oauth-helpers.ts'

const GRANT = { grant_type: 'client_credentials' }

afterEach(() => vi.restoreAllMocks())

/** What a caller can tell apart in an answer: everything but the request id. */
async function observable(res: Response) {
  const headers = [...res.headers].filter(([name]) => name !== 'x-request-id')
  return { status: res.status, headers, body: await res.text() }
}

describe('client_secret_basic: form-url-decoded after the split at the first colon (RFC 6749 §2.3.1, Appendix B)', () => {
  it.each([
    ['a colon', 'pa:ss:word'],
    ['a percent sign', 'pa%ss%25word%'],
    ['a plus sign', 'pa+ss+word'],
    ['spaces', 'pass word with spaces'],
    ['non-ASCII characters', 'pässwörd-£€-密码'],
    ['every special character at once', ' %&+£€:=?#/'],
  ])('accepts a secret with %s, encoded per Appendix B', async (_, secret) => {
    const client = await secretClient({}, { secret })
    await expectToken(
      await tokenRequest({ form: GRANT, auth: clientSecretBasic(client.id, secret) })
    )
  })

  it('decodes the client id too (%2D is "-", %2E is ".")', async () => {
    const client = await secretClient()
    const encodedId = client.id.replace(/-/g, '%2D').replace(/\./g, '%2E')
    const auth = `Basic ${base64(`${encodedId}:${formEncode(client.secret)}`)}`
    await expectToken(await tokenRequest({ form: GRANT, auth }))
  })

  it('refuses a secret with a + sent unencoded: it decodes to a space, a wrong secret (401 invalid_client)', async () => {
    const secret = 'pa+ss'
    const client = await secretClient({}, { secret })
    const res = await tokenRequest({ form: GRANT, auth: basic(client.id, secret) })
    await expectOAuthError(res, 401, 'invalid_client')
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="edge-fhir"/)
  })

  it('refuses a secret with % sent unencoded as a malformed header (400 invalid_request)', async () => {
    const secret = '100%sure'
    const client = await secretClient({}, { secret })
    await expectOAuthError(
      await tokenRequest({ form: GRANT, auth: basic(client.id, secret) }),
      400,
      'invalid_request'
    )
  })

  it('accepts spaces sent unencoded (they decode to themselves) and a secret with no special characters either way', async () => {
    const spaced = await secretClient({}, { secret: 'two words' })
    await expectToken(await tokenRequest({ form: GRANT, auth: basic(spaced.id, 'two words') }))
    const plain = await secretClient()
    await expectToken(await tokenRequest({ form: GRANT, auth: basic(plain.id, plain.secret) }))
  })

  it.each([
    ['no credentials after the scheme', 'Basic'],
    ['bad base64', 'Basic !!!notbase64'],
    ['base64 without padding', `Basic ${base64('a:bc').replace(/=+$/, '')}`],
    ['no colon', `Basic ${base64('just-an-id')}`],
    ['an empty secret', `Basic ${base64('some-id:')}`],
    ['an empty id', `Basic ${base64(':secret')}`],
    ['a malformed escape', `Basic ${base64('some-id:bad%zzescape')}`],
    ['an escape that is not UTF-8', `Basic ${base64('some-id:%C3')}`],
    ['bytes that are not UTF-8', `Basic ${btoa('some-id:\xff\xfe')}`],
    ['a control character', `Basic ${base64('some-id:a%0Ab')}`],
    ['another scheme', 'Bearer abc.def.ghi'],
    ['Digest', 'Digest username="x"'],
  ])('refuses an Authorization header with %s (400 invalid_request)', async (_, auth) => {
    await expectOAuthError(await tokenRequest({ form: GRANT, auth }), 400, 'invalid_request')
  })

  it('accepts a client_id in the body equal to the header one, refuses one that differs (400)', async () => {
    const client = await secretClient()
    const auth = clientSecretBasic(client.id, client.secret)
    await expectToken(await tokenRequest({ form: { ...GRANT, client_id: client.id }, auth }))
    await expectOAuthError(
      await tokenRequest({ form: { ...GRANT, client_id: uniqueId('other') }, auth }),
      400,
      'invalid_request'
    )
  })

  it('refuses a wrong secret: 401 invalid_client with a Basic challenge and no-store', async () => {
    const client = await secretClient()
    const res = await tokenRequest({ form: GRANT, auth: clientSecretBasic(client.id, 'wrong') })
    const body = await expectOAuthError(res, 401, 'invalid_client')
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="edge-fhir", charset="UTF-8"')
    expect(JSON.stringify(body)).not.toMatch(/wrong|secret|unknown/i)
  })
})

describe('client_secret_post (RFC 6749 §2.3.1)', () => {
  it('accepts client_id and client_secret in a form body and in a JSON body', async () => {
    const client = await secretClient()
    const fields = { ...GRANT, client_id: client.id, client_secret: client.secret }
    await expectToken(await tokenRequest({ form: fields }))
    await expectToken(await tokenRequest({ json: fields }))
  })

  it('accepts a secret with special characters, form-encoded in the body', async () => {
    const secret = 'a+b %c:d&e=f'
    const client = await secretClient({}, { secret })
    await expectToken(
      await tokenRequest({ form: { ...GRANT, client_id: client.id, client_secret: secret } })
    )
  })

  it('refuses a wrong secret (401 invalid_client)', async () => {
    const client = await secretClient()
    await expectOAuthError(
      await tokenRequest({ form: { ...GRANT, client_id: client.id, client_secret: 'nope' } }),
      401,
      'invalid_client'
    )
  })

  it('refuses client_secret without client_id (400)', async () => {
    await expectOAuthError(
      await tokenRequest({ form: { ...GRANT, client_secret: 'x' } }),
      400,
      'invalid_request'
    )
  })

  it('treats an empty client_secret as omitted (RFC 6749 §3.1): no credentials, 401', async () => {
    const client = await secretClient()
    await expectOAuthError(
      await tokenRequest({ form: { ...GRANT, client_id: client.id, client_secret: '' } }),
      401,
      'invalid_client'
    )
  })
})

describe('exactly one authentication method per request (RFC 6749 §2.3)', () => {
  it('refuses Basic together with client_secret in the body, with or without client_id (400)', async () => {
    const client = await secretClient()
    const auth = clientSecretBasic(client.id, client.secret)
    const bodies: Record<string, string>[] = [
      { client_secret: client.secret },
      { client_id: client.id, client_secret: client.secret },
    ]
    for (const fields of bodies) {
      await expectOAuthError(
        await tokenRequest({ form: { ...GRANT, ...fields }, auth }),
        400,
        'invalid_request'
      )
    }
  })

  it('refuses Basic together with a client assertion, and a secret together with one (400)', async () => {
    const client = await secretClient()
    const assertion = { client_assertion_type: JWT_BEARER, client_assertion: 'a.b.c' }
    await expectOAuthError(
      await tokenRequest({
        form: { ...GRANT, ...assertion },
        auth: clientSecretBasic(client.id, client.secret),
      }),
      400,
      'invalid_request'
    )
    await expectOAuthError(
      await tokenRequest({
        form: { ...GRANT, ...assertion, client_id: client.id, client_secret: client.secret },
      }),
      400,
      'invalid_request'
    )
  })

  it('refuses a request with no client authentication, or only a client_id (401 invalid_client)', async () => {
    const client = await secretClient()
    await expectOAuthError(await tokenRequest({ form: GRANT }), 401, 'invalid_client')
    await expectOAuthError(
      await tokenRequest({ form: { ...GRANT, client_id: client.id } }),
      401,
      'invalid_client'
    )
  })
})

describe('token_endpoint_auth_method restricts the method (RFC 7591 §2)', () => {
  it('a client registered for client_secret_post is refused over Basic, with the right secret', async () => {
    const client = await secretClient({ token_endpoint_auth_method: 'client_secret_post' })
    await expectOAuthError(
      await tokenRequest({ form: GRANT, auth: clientSecretBasic(client.id, client.secret) }),
      401,
      'invalid_client'
    )
    await expectToken(
      await tokenRequest({
        form: { ...GRANT, client_id: client.id, client_secret: client.secret },
      })
    )
  })

  it('a client registered for client_secret_basic is refused over post', async () => {
    const client = await secretClient({ token_endpoint_auth_method: 'client_secret_basic' })
    await expectOAuthError(
      await tokenRequest({
        form: { ...GRANT, client_id: client.id, client_secret: client.secret },
      }),
      401,
      'invalid_client'
    )
    await expectToken(
      await tokenRequest({ form: GRANT, auth: clientSecretBasic(client.id, client.secret) })
    )
  })
})

describe('failures never tell whether a client id exists (RFC 6749 §5.2, RFC 6819 §5.1.4.2.2)', () => {
  it('answers a wrong secret, an unknown id, a disabled client, a client without a secret, one registered for another method, and the root id identically, with the same PBKDF2 work', async () => {
    const known = await secretClient()
    const disabled = await secretClient({ active: false })
    const otherMethod = await secretClient({ token_endpoint_auth_method: 'client_secret_post' })
    const noSecret = uniqueId('nosecret')
    expect((await oauthAdminPut(noSecret, { grant_types: ['client_credentials'] })).status).toBe(
      201
    )
    const cases: [string, string][] = [
      [known.id, 'wrong-secret'],
      [uniqueId('nobody'), 'wrong-secret'],
      [disabled.id, disabled.secret],
      [noSecret, 'wrong-secret'],
      [otherMethod.id, otherMethod.secret],
      ['root', 'test-root-secret'],
    ]
    const derivations = vi.spyOn(crypto.subtle, 'deriveBits')
    const answers = []
    for (const [id, secret] of cases) {
      derivations.mockClear()
      answers.push(
        await observable(await tokenRequest({ form: GRANT, auth: clientSecretBasic(id, secret) }))
      )
      expect(derivations, id).toHaveBeenCalledTimes(1)
    }
    expect(answers[0]!.status).toBe(401)
    for (const answer of answers.slice(1)) expect(answer).toEqual(answers[0])
  })

  it('authenticates before judging the grant: a client without client_credentials gets unauthorized_client only with the right secret', async () => {
    const client = await secretClient({ grant_types: ['basic'] })
    await expectOAuthError(
      await tokenRequest({ form: GRANT, auth: clientSecretBasic(client.id, 'wrong') }),
      401,
      'invalid_client'
    )
    await expectOAuthError(
      await tokenRequest({ form: GRANT, auth: clientSecretBasic(client.id, client.secret) }),
      400,
      'unauthorized_client'
    )
  })

  it('a right secret a Basic API call verified in this isolate still gets a token, and a wrong one is still refused', async () => {
    const client = await secretClient({ grant_types: ['basic', 'client_credentials'] })
    const auth = clientSecretBasic(client.id, client.secret)
    await expectToken(await tokenRequest({ form: GRANT, auth }))
    const derivations = vi.spyOn(crypto.subtle, 'deriveBits')
    await expectToken(await tokenRequest({ form: GRANT, auth }))
    expect(derivations).not.toHaveBeenCalled() // the isolate's cache of verified secrets
    await expectOAuthError(
      await tokenRequest({ form: GRANT, auth: clientSecretBasic(client.id, 'wrong') }),
      401,
      'invalid_client'
    )
  })
})

// PUT /Client/:id validates the token-service fields (docs/oauth.md "Registering a client"): scope,
// jwks (public keys only), token_endpoint_auth_method and auth.client_credentials; a malformed value
// is a 400 OperationOutcome naming the field, and the secret stays hashed and unreturned.

import { exportJWK, generateKeyPair } from 'jose'
import { describe, expect, it } from 'vitest'
import { json, uniqueId } from './helpers.ts'
import { keyPair, oauthAdminPut } from './oauth-helpers.ts'

async function expectRefused(fields: Record<string, unknown>, field: string, message: RegExp) {
  const res = await oauthAdminPut(uniqueId('reg'), fields)
  const body = await json(res)
  expect(res.status, JSON.stringify(body)).toBe(400)
  expect(body.resourceType).toBe('OperationOutcome')
  expect(body.issue[0].expression).toEqual([field])
  expect(body.issue[0].diagnostics).toMatch(message)
}

describe('Client.scope', () => {
  it('accepts SMART scopes v1 and v2, wildcards, granular scopes and non-resource scopes', async () => {
    const res = await oauthAdminPut(uniqueId('reg'), {
      scope: [
        'system/*.read',
        'system/Patient.cruds',
        'system/Observation.rs?category=laboratory',
        'patient/*.rs',
        'openid',
        'launch/patient',
      ],
    })
    expect(res.status).toBe(201)
  })

  it.each([
    ['a string', 'system/*.read', 'scope'],
    ['a number entry', [5], 'scope[0]'],
    ['two scopes in one entry', ['system/*.read system/*.write'], 'scope[0]'],
    ['an empty entry', [''], 'scope[0]'],
    ['a quote', ['system/*.read"'], 'scope[0]'],
    ['letters out of order', ['system/Patient.sr'], 'scope[0]'],
    ['an unknown letter', ['system/Patient.rx'], 'scope[0]'],
    ['a lowercase type', ['system/patient.rs'], 'scope[0]'],
    ['a restriction on a write', ['system/Observation.cu?category=x'], 'scope[0]'],
  ])('refuses %s', async (_, scope, field) => {
    await expectRefused({ scope }, field, /scope/)
  })
})

describe('Client.jwks', () => {
  it('accepts RSA and EC P-384 public keys', async () => {
    const rsa = await keyPair('RS384')
    const ec = await keyPair('ES384')
    const res = await oauthAdminPut(uniqueId('reg'), {
      jwks: { keys: [rsa.publicJwk, ec.publicJwk] },
    })
    expect(res.status).toBe(201)
    expect((await json(res)).jwks.keys).toHaveLength(2)
  })

  it('refuses private keys, naming the private member', async () => {
    const { privateKey } = await generateKeyPair('RS384', { extractable: true })
    const jwk = await exportJWK(privateKey)
    await expectRefused({ jwks: { keys: [jwk] } }, 'jwks.keys[0]', /private member "d"/)
    const ec = await generateKeyPair('ES384', { extractable: true })
    const ecJwk = await exportJWK(ec.privateKey)
    await expectRefused({ jwks: { keys: [ecJwk] } }, 'jwks.keys[0]', /private member "d"/)
  })

  it.each([
    ['not a JWK Set', [], 'jwks'],
    ['an empty key list', { keys: [] }, 'jwks'],
    ['a symmetric key', { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }, 'jwks.keys[0]'],
    ['an OKP key', { keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'abc' }] }, 'jwks.keys[0]'],
    [
      'a key that does not import',
      { keys: [{ kty: 'RSA', n: 'AQAB', e: 'AQAB' }] },
      'jwks.keys[0]',
    ],
    ['a string key', { keys: ['key'] }, 'jwks.keys[0]'],
  ])('refuses %s', async (_, jwks, field) => {
    await expectRefused({ jwks }, field, /jwks/)
  })

  it('refuses a key whose alg or curve cannot sign an accepted assertion, or that is too short', async () => {
    const rsa = await keyPair('RS384')
    await expectRefused(
      { jwks: { keys: [{ ...rsa.publicJwk, alg: 'RS256' }] } },
      'jwks.keys[0]',
      /RS384/
    )
    await expectRefused(
      { jwks: { keys: [{ ...rsa.publicJwk, use: 'enc' }] } },
      'jwks.keys[0]',
      /use/
    )
    const p256 = await generateKeyPair('ES256', { extractable: true })
    await expectRefused(
      { jwks: { keys: [await exportJWK(p256.publicKey)] } },
      'jwks.keys[0]',
      /P-384/
    )
    const short = await crypto.subtle.generateKey(
      {
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: 1024,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: 'SHA-384',
      },
      true,
      ['sign', 'verify']
    )
    const shortJwk = (await crypto.subtle.exportKey(
      'jwk',
      (short as CryptoKeyPair).publicKey
    )) as JsonWebKey
    await expectRefused(
      { jwks: { keys: [{ kty: 'RSA', n: shortJwk.n, e: shortJwk.e }] } },
      'jwks.keys[0]',
      /2048/
    )
  })

  it('refuses jwks_uri (only inline keys are supported)', async () => {
    await expectRefused({ jwks_uri: 'https://client.example/jwks' }, 'jwks_uri', /inline/)
  })
})

describe('token_endpoint_auth_method and auth.client_credentials', () => {
  it.each(['none', 'client_secret_jwt', 'tls_client_auth', 5])(
    'refuses token_endpoint_auth_method %s',
    async (method) => {
      await expectRefused(
        { secret: 's', token_endpoint_auth_method: method },
        'token_endpoint_auth_method',
        /client_secret_basic, client_secret_post, private_key_jwt/
      )
    }
  )

  it('refuses a method without its credential', async () => {
    await expectRefused({ token_endpoint_auth_method: 'private_key_jwt' }, 'jwks', /needs jwks/)
    await expectRefused(
      { token_endpoint_auth_method: 'client_secret_basic' },
      'secret',
      /needs a secret/
    )
  })

  it.each([
    [{ auth: 'jwt' }, 'auth'],
    [{ auth: { client_credentials: 'jwt' } }, 'auth.client_credentials'],
    [
      { auth: { client_credentials: { token_format: 'JWT' } } },
      'auth.client_credentials.token_format',
    ],
    [
      { auth: { client_credentials: { access_token_expiration: 0 } } },
      'auth.client_credentials.access_token_expiration',
    ],
    [
      { auth: { client_credentials: { access_token_expiration: 3601 } } },
      'auth.client_credentials.access_token_expiration',
    ],
    [
      { auth: { client_credentials: { access_token_expiration: 1.5 } } },
      'auth.client_credentials.access_token_expiration',
    ],
    [
      { auth: { client_credentials: { access_token_expiration: '600' } } },
      'auth.client_credentials.access_token_expiration',
    ],
  ])('refuses %j', async (fields, field) => {
    await expectRefused(fields, field, /auth/)
  })

  it('accepts Aidbox’s client_credentials settings, and never returns the secret', async () => {
    const id = uniqueId('reg')
    const res = await oauthAdminPut(id, {
      secret: 'verysecret',
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'client_secret_basic',
      auth: { client_credentials: { token_format: 'jwt', access_token_expiration: 3600 } },
    })
    expect(res.status).toBe(201)
    const body = await json(res)
    expect(body.secret).toBeUndefined()
    expect(JSON.stringify(body)).not.toContain('verysecret')
    expect(body.auth.client_credentials).toEqual({
      token_format: 'jwt',
      access_token_expiration: 3600,
    })
  })
})

// Discovery: the SMART configuration at both well-known paths (SMART App Launch 2 conformance
// "metadata"), the public JWK Set (RFC 7517), and the CapabilityStatement's rest.security (the SMART
// service coding and the oauth-uris extension), all public and all naming the same URLs.

import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { call, json } from './helpers.ts'
import { BASE } from './oauth-helpers.ts'

const PATHS = ['/.well-known/smart-configuration', '/fhir/.well-known/smart-configuration']

describe('GET /.well-known/smart-configuration (SMART App Launch 2 §2.1)', () => {
  it.each(PATHS)(
    '%s is public JSON with CORS and the same document at both paths',
    async (path) => {
      const res = await call('GET', path, { headers: { accept: 'application/fhir+json' } })
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toMatch(/^application\/json/)
      expect(res.headers.get('access-control-allow-origin')).toBe('*')
      const other = await json(
        await call(
          'GET',
          PATHS.find((p) => p !== path)!
        )
      )
      expect(await json(res)).toEqual(other)
    }
  )

  it('lists absolute URLs, exactly what works, and the capabilities (Inferno well_known_capabilities)', async () => {
    const doc = await json(await call('GET', PATHS[0]!))
    expect(doc).toEqual({
      issuer: `${BASE}/fhir`,
      jwks_uri: `${BASE}/.well-known/jwks.json`,
      authorization_endpoint: `${BASE}/auth/authorize`,
      token_endpoint: `${BASE}/auth/token`,
      token_endpoint_auth_methods_supported: [
        'client_secret_basic',
        'client_secret_post',
        'private_key_jwt',
      ],
      token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      scopes_supported: expect.any(Array),
      introspection_endpoint: `${BASE}/auth/introspect`,
      introspection_endpoint_auth_methods_supported: expect.any(Array),
      revocation_endpoint: `${BASE}/auth/revoke`,
      revocation_endpoint_auth_methods_supported: expect.any(Array),
      management_endpoint: `${BASE}/auth/grants`,
      capabilities: expect.any(Array),
    })
    // The capabilities the issue lists, each backed by tests (smart-*.test.ts, test/e2e/smart-launch).
    expect(doc.capabilities).toEqual(
      expect.arrayContaining([
        'launch-standalone',
        'launch-ehr',
        'authorize-post',
        'context-standalone-patient',
        'context-ehr-patient',
        'permission-offline',
        'permission-online',
        'permission-patient',
        'permission-user',
        'permission-v1',
        'permission-v2',
        'sso-openid-connect',
        'client-confidential-symmetric',
      ])
    )
    expect(doc.code_challenge_methods_supported).not.toContain('plain')
    expect(doc.scopes_supported).toEqual(
      expect.arrayContaining(['openid', 'fhirUser', 'launch/patient'])
    )
  })

  it('follows BASE_URL when it is set', async () => {
    const { buildApp } = await import('../../src/app.ts')
    const res = await buildApp().request(
      'https://internal.example/.well-known/smart-configuration',
      {},
      { ...env, BASE_URL: 'https://fhir.example.org/' }
    )
    const doc = await json(res)
    expect(doc.token_endpoint).toBe('https://fhir.example.org/auth/token')
    expect(doc.issuer).toBe('https://fhir.example.org/fhir')
  })
})

describe('GET /.well-known/jwks.json (RFC 7517 §5)', () => {
  it('publishes the public part of every signing key, with its kid, and nothing private', async () => {
    const res = await call('GET', '/.well-known/jwks.json')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    const { keys } = await json(res)
    const configured = JSON.parse(env.TOKEN_SIGNING_KEYS).keys as Record<string, string>[]
    expect(keys).toHaveLength(configured.length)
    for (const [i, key] of keys.entries()) {
      expect(Object.keys(key).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use'])
      expect(key).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: configured[i]!.kid })
    }
  })

  it('is an empty set when no signing key is configured', async () => {
    const { buildApp } = await import('../../src/app.ts')
    const res = await buildApp().request(
      'https://fhir.test/.well-known/jwks.json',
      {},
      { ...env, TOKEN_SIGNING_KEYS: '' }
    )
    expect(await json(res)).toEqual({ keys: [] })
  })
})

describe('the CapabilityStatement names the token service (SMART App Launch 2 §2.2, legacy)', () => {
  it('has the SMART-on-FHIR service coding and the oauth-uris extension with the well-known URLs', async () => {
    const statement = await json(await call('GET', '/fhir/metadata'))
    const { security } = statement.rest[0]
    expect(security.service).toEqual([
      {
        coding: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/restful-security-service',
            code: 'SMART-on-FHIR',
          },
        ],
      },
    ])
    const uris = security.extension.find(
      (e: { url: string }) =>
        e.url === 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris'
    )
    const doc = await json(await call('GET', '/fhir/.well-known/smart-configuration'))
    expect(uris.extension).toEqual([
      { url: 'authorize', valueUri: doc.authorization_endpoint },
      { url: 'token', valueUri: doc.token_endpoint },
      { url: 'introspect', valueUri: doc.introspection_endpoint },
      { url: 'revoke', valueUri: doc.revocation_endpoint },
      { url: 'manage', valueUri: doc.management_endpoint },
    ])
    expect(security.cors).toBe(true)
  })
})

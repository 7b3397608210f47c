// End to end against a real `wrangler dev`, driven by a published OAuth client library (oauth4webapi from
// npm, unmodified) as a backend service would use it: discovery, client_credentials with a client secret
// (client_secret_basic) and with a signed assertion (private_key_jwt, RFC 7523), the FHIR API with the
// token (RFC 6750), introspection (RFC 7662), revocation (RFC 7009), and the next call refused.

import * as oauth from 'oauth4webapi'
import { exportJWK, generateKeyPair, type CryptoKey } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { basicHeader, startIsolatedDev, type DevServer } from '../../scripts/local.ts'

const ROOT = { id: 'e2e-root', secret: 'e2e-root-secret-0123456789' }
const SECRET_CLIENT = { id: 'e2e-backend', secret: 'e2e: secret with %, + and spaces' }
const JWT_CLIENT = 'e2e-backend-jwt'

let server: DevServer
let as: oauth.AuthorizationServer
const http = { [oauth.allowInsecureRequests]: true }

async function admin(path: string, body: unknown): Promise<void> {
  const res = await fetch(`${server.url}${path}`, {
    method: 'PUT',
    headers: {
      authorization: basicHeader(ROOT.id, ROOT.secret),
      'content-type': 'application/json',
    },
    body: JSON.stringify(body),
  })
  if (res.status !== 201 && res.status !== 200)
    throw new Error(`${path}: ${res.status} ${await res.text()}`)
}

let signingKey: CryptoKey

beforeAll(async () => {
  server = await startIsolatedDev(ROOT)
  const keys = await generateKeyPair('ES384')
  signingKey = keys.privateKey
  const publicJwk = { ...(await exportJWK(keys.publicKey)), kid: 'e2e-key-1', alg: 'ES384' }
  await admin(`/Client/${SECRET_CLIENT.id}`, {
    secret: SECRET_CLIENT.secret,
    grant_types: ['client_credentials'],
    scope: ['system/Patient.cruds', 'system/Observation.rs'],
    auth: { client_credentials: { token_format: 'jwt', access_token_expiration: 600 } },
  })
  await admin(`/Client/${JWT_CLIENT}`, {
    grant_types: ['client_credentials'],
    jwks: { keys: [publicJwk] },
    scope: ['system/Patient.rs'],
  })
  for (const id of [SECRET_CLIENT.id, JWT_CLIENT]) {
    await admin(`/AccessPolicy/${id}-allow`, {
      engine: 'allow',
      link: [{ resourceType: 'Client', id }],
    })
  }
})

afterAll(async () => {
  await server?.stop()
})

/** The server's SMART configuration, as the authorization server metadata oauth4webapi takes. */
async function discover(): Promise<oauth.AuthorizationServer> {
  const res = await fetch(`${server.url}/fhir/.well-known/smart-configuration`)
  expect(res.status).toBe(200)
  expect(res.headers.get('access-control-allow-origin')).toBe('*')
  const config = (await res.json()) as oauth.AuthorizationServer & { capabilities: string[] }
  expect(config.capabilities).toEqual(
    expect.arrayContaining(['client-confidential-symmetric', 'client-confidential-asymmetric'])
  )
  return config
}

describe('a backend service using oauth4webapi', () => {
  beforeAll(async () => {
    as = await discover()
  })

  it('gets a token with client_secret_basic, uses it, introspects it, revokes it, and is refused after', async () => {
    const client: oauth.Client = { client_id: SECRET_CLIENT.id }
    const auth = oauth.ClientSecretBasic(SECRET_CLIENT.secret)
    const tokenResponse = await oauth.processClientCredentialsResponse(
      as,
      client,
      await oauth.clientCredentialsGrantRequest(
        as,
        client,
        auth,
        { scope: 'system/Patient.cruds' },
        http
      )
    )
    expect(tokenResponse.token_type).toBe('bearer')
    expect(tokenResponse.scope).toBe('system/Patient.cruds')
    expect(tokenResponse.expires_in).toBe(600)
    const bearer = { authorization: `Bearer ${tokenResponse.access_token}` }

    const created = await fetch(`${server.url}/fhir/Patient`, {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Backend' }] }),
    })
    expect(created.status).toBe(201)
    // The granted scope has no Observation: 403, not an empty result.
    expect((await fetch(`${server.url}/fhir/Observation`, { headers: bearer })).status).toBe(403)

    const introspection = await oauth.processIntrospectionResponse(
      as,
      client,
      await oauth.introspectionRequest(as, client, auth, tokenResponse.access_token, http)
    )
    expect(introspection).toMatchObject({
      active: true,
      client_id: SECRET_CLIENT.id,
      scope: 'system/Patient.cruds',
      token_type: 'Bearer',
    })

    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, client, auth, tokenResponse.access_token, http)
    )
    const after = await fetch(`${server.url}/fhir/Patient?_count=1`, { headers: bearer })
    expect(after.status).toBe(401)
    expect(after.headers.get('www-authenticate')).toContain('error="invalid_token"')
    const inactive = await oauth.processIntrospectionResponse(
      as,
      client,
      await oauth.introspectionRequest(as, client, auth, tokenResponse.access_token, http)
    )
    expect(inactive).toEqual({ active: false })
  })

  it('gets a token with private_key_jwt (ES384) and reads with it; the same assertion cannot be replayed', async () => {
    const client: oauth.Client = { client_id: JWT_CLIENT }
    const auth = oauth.PrivateKeyJwt({ key: signingKey, kid: 'e2e-key-1' })
    const tokenResponse = await oauth.processClientCredentialsResponse(
      as,
      client,
      await oauth.clientCredentialsGrantRequest(as, client, auth, {}, http)
    )
    expect(tokenResponse.scope).toBe('system/Patient.rs')
    const res = await fetch(`${server.url}/fhir/Patient?_count=1`, {
      headers: { authorization: `Bearer ${tokenResponse.access_token}` },
    })
    expect(res.status).toBe(200)
    expect(((await res.json()) as { resourceType: string }).resourceType).toBe('Bundle')
    // Read-only scope: a create is refused.
    const write = await fetch(`${server.url}/fhir/Patient`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${tokenResponse.access_token}`,
        'content-type': 'application/fhir+json',
      },
      body: JSON.stringify({ resourceType: 'Patient' }),
    })
    expect(write.status).toBe(403)

    // Capture one assertion and send it twice: the second is a replay (RFC 7523 §3, jti).
    let assertion = ''
    await oauth.clientCredentialsGrantRequest(
      as,
      client,
      auth,
      {},
      {
        ...http,
        [oauth.customFetch]: async (url: string, init: RequestInit) => {
          assertion = new URLSearchParams(init.body as string).get('client_assertion') ?? ''
          return fetch(url, init)
        },
      }
    )
    const replay = await fetch(as.token_endpoint!, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: JWT_CLIENT,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      }),
    })
    expect(replay.status).toBe(401)
    expect(await replay.json()).toMatchObject({ error: 'invalid_client' })
  })
})

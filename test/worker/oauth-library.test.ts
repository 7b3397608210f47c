// Interoperability with a published OAuth client, unmodified: oauth4webapi (panva) builds and checks
// every request and answer here: client_credentials with client_secret_basic (its Appendix B
// encoding), client_secret_post and private_key_jwt (its default assertion, aud = the issuer), then
// introspection and revocation. Its fetch goes to the Worker under test (SELF).

import { SELF } from 'cloudflare:test'
import * as oauth from 'oauth4webapi'
import { describe, expect, it } from 'vitest'
import { call } from './helpers.ts'
import { ISSUER, keyClient, secretClient } from './oauth-helpers.ts'

/** The authorization server as the SMART configuration describes it. */
async function authorizationServer(): Promise<oauth.AuthorizationServer> {
  const doc = (await (await call('GET', '/.well-known/smart-configuration')).json()) as Record<
    string,
    string
  >
  expect(doc.issuer).toBe(ISSUER)
  return {
    issuer: doc.issuer!,
    token_endpoint: doc.token_endpoint,
    introspection_endpoint: doc.introspection_endpoint,
    revocation_endpoint: doc.revocation_endpoint,
  }
}

const options = {
  [oauth.customFetch]: (url: string, init: RequestInit) => SELF.fetch(url, init),
}

/** Gets a token, uses it on the API, introspects it, revokes it, and sees the API refuse it. */
async function lifecycle(client: oauth.Client, auth: oauth.ClientAuth, scope: string) {
  const as = await authorizationServer()
  const response = await oauth.clientCredentialsGrantRequest(as, client, auth, { scope }, options)
  const token = await oauth.processClientCredentialsResponse(as, client, response)
  expect(token.token_type).toBe('bearer') // oauth4webapi lower-cases it
  expect(token.scope).toBe(scope)
  expect(typeof token.expires_in).toBe('number')
  const bearer = { auth: `Bearer ${token.access_token}` }
  expect((await call('GET', '/fhir/Patient?_count=1', bearer)).status).toBe(200)

  const introspected = await oauth.processIntrospectionResponse(
    as,
    client,
    await oauth.introspectionRequest(as, client, auth, token.access_token, options)
  )
  expect(introspected).toMatchObject({ active: true, client_id: client.client_id, scope })

  await oauth.processRevocationResponse(
    await oauth.revocationRequest(as, client, auth, token.access_token, options)
  )
  expect((await call('GET', '/fhir/Patient?_count=1', bearer)).status).toBe(401)
  const after = await oauth.processIntrospectionResponse(
    as,
    client,
    await oauth.introspectionRequest(as, client, auth, token.access_token, options)
  )
  expect(after.active).toBe(false)
}

describe('oauth4webapi against the token service', () => {
  it('client_secret_basic, with a secret that needs Appendix B encoding', async () => {
    const { id, secret } = await secretClient({}, { allow: true, secret: 'a+b c:d%e&f' })
    await lifecycle({ client_id: id }, oauth.ClientSecretBasic(secret), 'system/Patient.rs')
  })

  it('client_secret_post, JWT tokens', async () => {
    const { id, secret } = await secretClient(
      { auth: { client_credentials: { token_format: 'jwt' } } },
      { allow: true }
    )
    await lifecycle({ client_id: id }, oauth.ClientSecretPost(secret), 'system/*.rs')
  })

  it.each(['RS384', 'ES384'] as const)('private_key_jwt signed %s', async (alg) => {
    const client = await keyClient(alg, {}, { allow: true })
    const auth = oauth.PrivateKeyJwt({ key: client.privateKey, kid: client.kid })
    await lifecycle({ client_id: client.id }, auth, 'system/Patient.rs')
  })
})

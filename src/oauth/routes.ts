// The token service as a Hono sub-app, mounted by src/app.ts BEFORE the API's authentication
// middleware (its Authorization header is client_secret_basic, form-url-decoded, not the API's Basic):
//   POST /auth/token        client_credentials (RFC 6749 §4.4), authorization_code (§4.1.3),
//                           refresh_token (§6)
//   /auth/authorize, /auth/login, /auth/consent, /auth/logout: authorize-routes.ts
//   /auth/grants (the apps a person allowed; SMART management_endpoint): grants-routes.ts
//   POST /auth/introspect   RFC 7662
//   POST /auth/revoke       RFC 7009
//   GET  /.well-known/smart-configuration, /fhir/.well-known/smart-configuration,
//        /fhir/.well-known/openid-configuration, /.well-known/jwks.json, /auth/smart-style.json
// The token endpoint and discovery answer cross-origin requests (CORS: browser apps call them).
// Other methods: 405 with Allow. Errors become RFC 6749 §5.2 JSON in this sub-app's one onError.

import { Hono, type Context } from 'hono'
import type { AppEnv } from '../http/env.ts'
import { corsFor } from '../http/cors.ts'
import { baseUrl } from '../http/base-url.ts'
import { oauthUrls } from '../http/oauth-urls.ts'
import { addressKey } from '../auth/address.ts'
import { audited, type Audit } from './audit.ts'
import { authenticateClient } from './client-auth.ts'
import { clientCredentials } from './client-credentials.ts'
import { openidConfiguration, publicJwks, smartConfiguration, SMART_STYLE } from './discovery.ts'
import { redeemCode } from './authorization-code.ts'
import { authorizeRoutes } from './authorize-routes.ts'
import type { PatientDirectory } from './page-kit.ts'
import { grantsRoutes } from './grants-routes.ts'
import { refreshGrant } from './refresh-token.ts'
import { invalidRequest, unsupportedGrantType } from './errors.ts'
import { introspect } from './introspection.ts'
import { readParams } from './params.ts'
import { emptyOk, methodNotAllowed, oauthError, oauthJson } from './responses.ts'
import { revoke } from './revocation.ts'

const POST = ['POST']
const GET = ['GET', 'HEAD']
/** Discovery is public and read by browser apps from any origin (SMART App Launch "CORS"). */
const PUBLIC = { 'access-control-allow-origin': '*' }

/** Reads the parameters and authenticates the calling Client (audiences: where an assertion may point). */
async function authenticatedCall(
  c: Context<AppEnv>,
  audit: Audit,
  endpoint: 'introspect' | 'revoke' | 'token'
) {
  const params = await readParams(c.req.raw)
  const urls = oauthUrls(baseUrl(c))
  // RFC 7523 §3: a value that identifies this server; SMART names the token endpoint URL, RFC
  // 7523bis (and oauth4webapi) the issuer identifier. At introspection and revocation, their URL too.
  const audiences = [urls.token, urls.issuer]
  if (endpoint !== 'token') audiences.push(urls[endpoint])
  const { client, method } = await authenticateClient(c.env, {
    params,
    authorization: c.req.header('authorization'),
    address: addressKey(c.req.header('cf-connecting-ip')),
    audiences,
    log: c.get('log'),
    audit,
  })
  return { params, client, method, issuer: urls.issuer }
}

/** The `token` parameter of introspection and revocation (RFC 7662 §2.1, RFC 7009 §2.1). */
function tokenParam(params: ReadonlyMap<string, string>): string {
  const token = params.get('token')
  if (token === undefined) throw invalidRequest('token is required')
  return token
}

export function oauthRoutes(patients: PatientDirectory): Hono<AppEnv> {
  const oauth = new Hono<AppEnv>()

  // Browser apps (SMART App Launch "CORS") exchange codes and refresh from their own origin; the
  // token endpoint takes no cookies, so any origin may call it.
  oauth.use(
    '/auth/token',
    corsFor({
      origin: '*',
      allowMethods: ['POST'],
      allowHeaders: ['authorization', 'content-type'],
      maxAge: 600,
    })
  )

  oauth.post('/auth/token', (c) =>
    audited(c, 'token', async (audit) => {
      const { params, client, issuer } = await authenticatedCall(c, audit, 'token')
      const grantType = params.get('grant_type')
      if (grantType === undefined) throw invalidRequest('grant_type is required')
      if (grantType === 'authorization_code' || grantType === 'refresh_token') {
        const urls = { issuer, origin: baseUrl(c) }
        const redeem = grantType === 'authorization_code' ? redeemCode : refreshGrant
        const { body, jti } = await redeem(c.env, client, params, urls, c.get('log'))
        audit.done('issued', {
          grant_type: grantType,
          scope: body.scope,
          jti,
          expires_in: body.expires_in,
          refresh_token: 'refresh_token' in body,
        })
        return oauthJson(body)
      }
      if (grantType !== 'client_credentials') {
        throw unsupportedGrantType(
          'Supported grant types: authorization_code, refresh_token, client_credentials'
        )
      }
      const { token, scope, format } = await clientCredentials(
        c.env,
        client,
        params.get('scope'),
        issuer
      )
      audit.done('issued', {
        grant_type: grantType,
        scope,
        format,
        jti: token.jti,
        expires_in: token.expiresIn,
      })
      return oauthJson({
        access_token: token.accessToken,
        token_type: 'Bearer',
        expires_in: token.expiresIn,
        scope,
      })
    })
  )

  oauth.post('/auth/introspect', (c) =>
    audited(c, 'introspect', async (audit) => {
      const { params, issuer } = await authenticatedCall(c, audit, 'introspect')
      const answer = await introspect(c.env, tokenParam(params), issuer, c.get('log'))
      audit.done(answer.active ? 'active' : 'inactive', {
        token_client_id: answer.client_id,
      })
      return oauthJson(answer)
    })
  )

  oauth.post('/auth/revoke', (c) =>
    audited(c, 'revoke', async (audit) => {
      const { params, client, issuer } = await authenticatedCall(c, audit, 'revoke')
      const revoked = await revoke(c.env, client.id, tokenParam(params), issuer)
      // RFC 7009 §2.2: the same 200 whether anything was revoked.
      audit.done(revoked ? 'revoked' : 'nothing revoked')
      return emptyOk()
    })
  )

  for (const path of ['/auth/token', '/auth/introspect', '/auth/revoke']) {
    oauth.all(path, (c) => methodNotAllowed(c, POST))
  }

  const configuration = (c: Context<AppEnv>) =>
    oauthJson(smartConfiguration(baseUrl(c)), 200, PUBLIC)
  oauth.get('/.well-known/smart-configuration', configuration)
  oauth.get('/fhir/.well-known/smart-configuration', configuration)
  oauth.get('/fhir/.well-known/openid-configuration', (c) =>
    oauthJson(openidConfiguration(baseUrl(c)), 200, PUBLIC)
  )
  oauth.get('/.well-known/jwks.json', async (c) => oauthJson(await publicJwks(c.env), 200, PUBLIC))
  oauth.get('/auth/smart-style.json', () => oauthJson(SMART_STYLE, 200, PUBLIC))
  for (const path of [
    '/.well-known/smart-configuration',
    '/fhir/.well-known/smart-configuration',
    '/fhir/.well-known/openid-configuration',
    '/.well-known/jwks.json',
    '/auth/smart-style.json',
  ]) {
    oauth.all(path, (c) => methodNotAllowed(c, GET))
  }

  oauth.route('/', authorizeRoutes(patients))
  oauth.route('/', grantsRoutes(patients))
  oauth.onError(oauthError)
  return oauth
}

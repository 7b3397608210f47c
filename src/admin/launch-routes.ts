// EHR launch (SMART App Launch 2 "EHR launch"): an EHR, authenticated like any admin caller (HTTP
// Basic, an AccessPolicy allowing operation `SmartLaunch`), asks for a launch value bound to an app's
// Client and a context, then opens the app's launch URL with it:
//   POST /auth/launch  {"client_id": "...", "patient": "<Patient id>", "encounter": "<id>",
//                       "user": "<User id>"}   (all but client_id optional)
//   -> 201 {"launch": "...", "iss": "<FHIR base>", "launch_url": "<smart.launch_uri>?iss=...&launch=...",
//           "expires_in": 300}
// The value is random, stored hashed, single use and short-lived (src/auth/launches.ts). With `user`,
// only that User can finish the launch.

import { badRequest } from '../errors/outcome.ts'
import { isId } from '../lib/ids.ts'
import { getClient, getUser } from '../config/store.ts'
import { launchUri } from '../config/client-oauth.ts'
import { baseUrl } from '../http/base-url.ts'
import { jsonBodyOf } from '../http/declared-body.ts'
import { fhirJson } from '../http/media.ts'
import { oauthUrls } from '../http/oauth-urls.ts'
import { createLaunch, LAUNCH_LIFETIME, type LaunchContext } from '../auth/launches.ts'
import type { RouteSpec } from '../policy/route-table.ts'

const FIELDS = ['client_id', 'patient', 'encounter', 'user']

export const launchRoutes: readonly RouteSpec[] = [
  {
    method: 'POST',
    path: '/auth/launch',
    operation: 'SmartLaunch',
    body: 'json',
    authenticated: true,
    handler: async (c) => {
      const body = await jsonBodyOf(c)
      const unknown = Object.keys(body).filter((key) => !FIELDS.includes(key))
      if (unknown.length) throw badRequest(`Unknown fields: ${unknown.join(', ')}`, unknown)
      for (const field of FIELDS) {
        const value = body[field]
        if (value !== undefined && (typeof value !== 'string' || !isId(value))) {
          throw badRequest(`${field} must be an id`, [field])
        }
      }
      const { client_id: clientId, patient, encounter, user } = body as Record<string, string>
      if (!clientId) throw badRequest('client_id is required', ['client_id'])
      const log = c.get('log')
      const client = await getClient(c.env, clientId, { log })
      if (
        !client ||
        client.active === false ||
        !client.grant_types?.includes('authorization_code')
      ) {
        throw badRequest(
          `Client ${clientId} is not an active app (grant_types authorization_code)`,
          ['client_id']
        )
      }
      if (user !== undefined) {
        const found = await getUser(c.env, user, { log })
        if (!found || found.active === false)
          throw badRequest(`User ${user} is not active`, ['user'])
      }
      const context: LaunchContext = {
        ...(patient && { patient }),
        ...(encounter && { encounter }),
        ...(user && { user }),
      }
      const launch = await createLaunch(c.env.DB, clientId, context, Math.floor(Date.now() / 1000))
      const iss = oauthUrls(baseUrl(c)).issuer
      const uri = launchUri(client)
      const launchUrl = uri === undefined ? undefined : new URL(uri)
      launchUrl?.searchParams.set('iss', iss)
      launchUrl?.searchParams.set('launch', launch)
      return fhirJson(
        c,
        {
          launch,
          iss,
          ...(launchUrl && { launch_url: launchUrl.toString() }),
          expires_in: LAUNCH_LIFETIME,
        },
        201,
        { 'cache-control': 'no-store' }
      )
    },
  },
]

// The state of one authorization request between the pages (authorize-routes.ts): the pending request
// a handle names for this browser (and whether its app may still receive a code), who consents (the
// open session's User, who must be the one an EHR launch names, and a patient only for their own
// record), which patient the grant is for, which scopes this person may grant, and the error redirect
// that answers a request without a code.

import type { Context } from 'hono'
import type { AppEnv } from '../http/env.ts'
import { baseUrl } from '../http/base-url.ts'
import { oauthUrls } from '../http/oauth-urls.ts'
import { getClient, getUser, type StoredClient, type StoredUser } from '../config/store.ts'
import { codeSettings } from '../config/client-oauth.ts'
import { endSession, openSessionOf, type Session } from '../auth/sessions.ts'
import { isTokenGuardRefusal } from '../auth/token-store.ts'
import { scopesForPerson } from './app-scope.ts'
import { redirectWith } from './authorize-request.ts'
import { browserValue, clearSessionCookie, flowRedirect, sessionValue } from './browser.ts'
import { fhirUserOf } from './issue-code.ts'
import { answerRequestStatements, pendingRequest, type PendingRequest } from './pending-requests.ts'
import { problem } from './page-kit.ts'

const now = () => Math.floor(Date.now() / 1000)

export const expired = () =>
  problem(
    400,
    'This sign-in has expired',
    'This sign-in page has expired, was already used, or was opened in another browser. ' +
      'Go back to the app and start again.'
  )

export interface Flow {
  handle: string
  request: PendingRequest
  client: StoredClient
}

/** The pending request `handle` names for this browser, with its Client; null when there is none. */
export async function flowOf(
  c: Context<AppEnv>,
  handle: string | null | undefined
): Promise<Flow | null> {
  if (!handle) return null
  const request = await pendingRequest(c.env.DB, handle, browserValue(c), now())
  if (!request) return null
  const client = await getClient(c.env, request.clientId, { log: c.get('log') })
  // The app may have been changed since the request: it must still be allowed to receive codes there.
  if (
    !client ||
    client.active === false ||
    !client.grant_types?.includes('authorization_code') ||
    !codeSettings(client).redirectUris.includes(request.redirectUri)
  ) {
    return null
  }
  return { handle, request, client }
}

export const issuerOf = (c: Context<AppEnv>) => oauthUrls(baseUrl(c)).issuer

export const stepUrl = (c: Context<AppEnv>, step: 'login' | 'consent', handle: string) =>
  `${baseUrl(c)}/auth/${step}?request=${encodeURIComponent(handle)}`

export const wrongUser = () =>
  problem(
    403,
    'Signed in as someone else',
    'The app was opened for another person. Sign out, or go back to the record and start again.'
  )

/** Who consents: the open session's User, if it may; otherwise the answer to send instead. */
export async function consenter(
  c: Context<AppEnv>,
  flow: Flow
): Promise<{ user: StoredUser; session: Session } | Response> {
  const session = await openSessionOf(c.env.DB, sessionValue(c), now())
  const user = session && (await getUser(c.env, session.userId, { log: c.get('log') }))
  if (!session || !user || user.active === false) {
    if (session) await endSession(c.env.DB, sessionValue(c), now())
    return flowRedirect(stepUrl(c, 'login', flow.handle), 303, [clearSessionCookie()])
  }
  if (flow.request.launch?.user !== undefined && flow.request.launch.user !== user.id) {
    return wrongUser()
  }
  // A patient acts only for their own record: an EHR launch for another patient is not theirs.
  const own = ownPatient(user)
  if (
    own !== undefined &&
    flow.request.launch?.patient !== undefined &&
    flow.request.launch.patient !== own
  ) {
    return wrongUser()
  }
  return { user, session }
}

/**
 * The patient of the grant when it is settled without the person choosing: an EHR launch's, or a
 * patient's own record. Undefined when the person must pick one.
 */
export function fixedPatient(request: PendingRequest, user: StoredUser): string | undefined {
  return request.launch?.patient ?? ownPatient(user)
}

/** The Patient id of a User whose fhirUser is a Patient (a patient), else undefined. */
function ownPatient(user: StoredUser): string | undefined {
  const own = fhirUserOf(user)
  return own?.startsWith('Patient/') ? own.slice('Patient/'.length) : undefined
}

/** The scopes of the request this person may grant (scopesForPerson). */
export const grantable = (request: PendingRequest, user: StoredUser) =>
  scopesForPerson(request.scopes, ownPatient(user) !== undefined)

/** Answers the pending request with an error redirect to the app (once: the request is removed). */
export async function answerWithError(
  c: Context<AppEnv>,
  flow: Flow,
  error: 'access_denied' | 'invalid_scope',
  description: string
): Promise<Response> {
  await c.env.DB.batch(await answerRequestStatements(c.env.DB, flow.handle)).catch((err) => {
    if (!isTokenGuardRefusal(err)) throw err
  })
  const location = redirectWith(flow.request.redirectUri, {
    error,
    error_description: description,
    state: flow.request.state,
    iss: issuerOf(c),
  })
  return flowRedirect(location, 303)
}

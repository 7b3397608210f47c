// The page of the apps a person allowed (SMART App Launch 2 `management_endpoint`; ONC
// §170.315(g)(10) token revocation, "the patient revoked access"), a sub-app of the token service:
//   GET  /auth/grants          with the login session cookie: the User's live grants (grant-store.ts
//                              listUserGrants), each with a Revoke button; without it, a login form
//   POST /auth/grants/login    that login form (same checks and limits as /auth/login): a new
//                              session, then back to the list
//   POST /auth/grants/revoke   revokes a grant of the session's User (revokeGrant); another's is 404
// Cross-site forgery: a POST must come from our own pages (browser.ts postedHere) and carry the form
// token of its cookie (browser.ts formToken: the browser cookie's on the login form, the session
// cookie's on Revoke), both checked before anything reaches D1; the cookies are SameSite=Lax.

import { Hono, type Context } from 'hono'
import type { AppEnv } from '../http/env.ts'
import { baseUrl } from '../http/base-url.ts'
import { getClient, getUser } from '../config/store.ts'
import { splitScope } from '../config/scopes.ts'
import { addressKey } from '../auth/address.ts'
import {
  isRandomValue,
  isUserGrant,
  listUserGrants,
  revokeGrant,
  type UserGrant,
} from '../auth/grant-store.ts'
import { verifyLogin } from '../auth/login.ts'
import { endSession, openSession, openSessionOf } from '../auth/sessions.ts'
import {
  appName,
  ownOrigins,
  pageError,
  readForm,
  userName,
  type PatientDirectory,
} from './page-kit.ts'
import {
  browserBinding,
  browserValue,
  clearSessionCookie,
  flowRedirect,
  formToken,
  formTokenMatches,
  postedHere,
  sessionCookie,
  sessionValue,
} from './browser.ts'
import { errorPage } from './pages/error.ts'
import { grantsPage, type GrantEntry } from './pages/grants.ts'
import { pageResponse } from './pages/headers.ts'
import { grantsLoginPage } from './pages/login.ts'

const PAGE = '/auth/grants'

/** A grant id as issue-code.ts makes them (a UUID), checked before any lookup. */
const GRANT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

const now = () => Math.floor(Date.now() / 1000)

/** An error page with a link back to the list (or its login form). */
const problem = (status: number, title: string, message: string) =>
  pageResponse(
    errorPage({ title, message, back: { href: PAGE, text: 'Back to your apps' } }),
    status
  )

const forged = () =>
  problem(403, 'Request refused', 'This form was not sent from this page. Open it again.')

const signedOut = () =>
  problem(403, 'You are signed out', 'Sign in again to see the apps you allowed.')

/** The login form of the page (`status`, a failed `attempt`), its token bound to the browser cookie. */
async function signIn(
  c: Context<AppEnv>,
  status: number,
  attempt: { username?: string; error?: 'invalid' | 'limited'; retryAfter?: number } = {},
  cookies: readonly string[] = []
): Promise<Response> {
  const browser = browserBinding(c)
  const token = await formToken(browser.value, 'grants-login')
  return pageResponse(grantsLoginPage({ token, ...attempt }), status, {
    cookies: [...(browser.setCookie ? [browser.setCookie] : []), ...cookies],
    ...(attempt.retryAfter !== undefined && {
      headers: { 'retry-after': String(attempt.retryAfter) },
    }),
  })
}

/** The grants as the page shows them: the app's name, the patient's, the scopes. */
async function entries(
  c: Context<AppEnv>,
  patients: PatientDirectory,
  grants: readonly UserGrant[]
): Promise<GrantEntry[]> {
  const log = c.get('log')
  const clientIds = [...new Set(grants.map((g) => g.clientId))]
  const patientIds = [...new Set(grants.flatMap((g) => (g.patient ? [g.patient] : [])))]
  const [clients, found] = await Promise.all([
    Promise.all(clientIds.map((id) => getClient(c.env, id, { log }))),
    Promise.all(patientIds.map((id) => patients.get(c.env.DB, id))),
  ])
  const apps = new Map(clientIds.map((id, i) => [id, clients[i] ? appName(clients[i]) : id]))
  const names = new Map(patientIds.map((id, i) => [id, found[i]?.name ?? `Patient ${id}`]))
  return grants.map((grant) => {
    const scopes = splitScope(grant.scope) ?? []
    return {
      grantId: grant.grantId,
      appName: apps.get(grant.clientId) ?? grant.clientId,
      scopes,
      ...(grant.patient && { patient: names.get(grant.patient) ?? grant.patient }),
      allowedAt: grant.allowedAt,
      until: grant.until,
      untilSignOut: scopes.includes('online_access') && !scopes.includes('offline_access'),
    }
  })
}

export function grantsRoutes(patients: PatientDirectory): Hono<AppEnv> {
  const app = new Hono<AppEnv>()

  app.get(PAGE, async (c) => {
    const value = sessionValue(c)
    const session = await openSessionOf(c.env.DB, value, now())
    const user = session && (await getUser(c.env, session.userId, { log: c.get('log') }))
    if (!session || !user || user.active === false || !isRandomValue(value)) {
      if (session) await endSession(c.env.DB, value, now())
      return signIn(c, 200, {}, value === undefined ? [] : [clearSessionCookie()])
    }
    const grants = await entries(c, patients, await listUserGrants(c.env.DB, user.id, now()))
    const page = grantsPage({
      userName: userName(user),
      token: await formToken(value, 'grants-revoke'),
      grants,
      revoked: c.req.query('revoked') === '1',
    })
    return pageResponse(page, 200)
  })

  app.post(`${PAGE}/login`, async (c) => {
    if (!postedHere(c, ownOrigins(c))) return forged()
    const form = await readForm(c)
    if (!form || !(await formTokenMatches(browserValue(c), 'grants-login', form.get('token')))) {
      return forged()
    }
    const username = form.get('username') ?? ''
    const address = addressKey(c.req.header('cf-connecting-ip'))
    const log = c.get('log')
    const result = await verifyLogin(c.env, username, form.get('password') ?? '', address, log)
    if (!result.ok) {
      return result.retryAfter === undefined
        ? signIn(c, 401, { username, error: 'invalid' })
        : signIn(c, 429, { username, error: 'limited', retryAfter: result.retryAfter })
    }
    // A new session on every login (no session fixation); the one this browser had ends.
    await endSession(c.env.DB, sessionValue(c), now())
    const { value } = await openSession(c.env.DB, result.user.id, now())
    return flowRedirect(`${baseUrl(c)}${PAGE}`, 303, [sessionCookie(value)])
  })

  app.post(`${PAGE}/revoke`, async (c) => {
    if (!postedHere(c, ownOrigins(c))) return forged()
    const value = sessionValue(c)
    if (!isRandomValue(value)) return signedOut()
    const form = await readForm(c)
    if (!form || !(await formTokenMatches(value, 'grants-revoke', form.get('token')))) {
      return forged()
    }
    const session = await openSessionOf(c.env.DB, value, now())
    if (!session) return signedOut()
    const grant = form.get('grant') ?? ''
    // Another User's grant (or none) is not found: whether it exists is not this User's business.
    if (!GRANT_ID.test(grant) || !(await isUserGrant(c.env.DB, session.userId, grant))) {
      return problem(404, 'No such app', 'This app is not among the apps you allowed.')
    }
    await revokeGrant(c.env.DB, grant, now())
    c.get('log').info('grant revoked', { user: session.userId, grant, by: 'person' })
    return flowRedirect(`${baseUrl(c)}${PAGE}?revoked=1`, 303)
  })

  for (const [path, allow] of [
    [PAGE, 'GET, HEAD'],
    [`${PAGE}/login`, 'POST'],
    [`${PAGE}/revoke`, 'POST'],
  ] as const) {
    app.all(path, (c) =>
      pageResponse(
        errorPage({ title: 'Not allowed', message: `${c.req.method} is not allowed here.` }),
        405,
        { headers: { allow } }
      )
    )
  }
  app.onError(pageError)
  return app
}

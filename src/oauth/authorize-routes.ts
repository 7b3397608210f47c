// The authorization endpoint and its pages (RFC 6749 §3.1, §4.1; SMART App Launch 2 "authorize"),
// a sub-app of the token service:
//   GET|POST /auth/authorize   checks the request (authorize-request.ts), keeps it for this browser
//                              (pending-requests.ts) and sends the person to log in, or an error
//   GET|POST /auth/login       the login page; a good password opens a session (src/auth/sessions.ts)
//   GET|POST /auth/consent     the consent page (and the patient picker); Allow issues the code
//                              (issue-code.ts) and redirects to the app, Deny redirects access_denied
//   POST /auth/logout          ends the session (and its online_access grants)
//   GET /auth/static/style.css the pages' stylesheet
// The pages carry the request's random handle; each step checks it against the browser cookie, and
// each POST that it came from our own pages (browser.ts), which together stop cross-site forgery.

import { Hono, type Context } from 'hono'
import type { AppEnv } from '../http/env.ts'
import { baseUrl } from '../http/base-url.ts'
import { oauthUrls } from '../http/oauth-urls.ts'
import { isId } from '../lib/ids.ts'
import type { StoredUser } from '../config/store.ts'
import { isFirstParty } from '../config/client-oauth.ts'
import { addressKey } from '../auth/address.ts'
import { verifyLogin } from '../auth/login.ts'
import { endSession, openSession, openSessionOf, type Session } from '../auth/sessions.ts'
import { isTokenGuardRefusal } from '../auth/token-store.ts'
import { chosenScopes, needsPatient } from './app-scope.ts'
import { checkAuthorizeRequest, redirectWith } from './authorize-request.ts'
import {
  browserBinding,
  clearSessionCookie,
  flowRedirect,
  postedHere,
  sessionCookie,
  sessionValue,
} from './browser.ts'
import { issueCode } from './issue-code.ts'
import { storeRequest } from './pending-requests.ts'
import { consentPage } from './pages/consent.ts'
import { errorPage } from './pages/error.ts'
import { pageResponse } from './pages/headers.ts'
import { loginPage } from './pages/login.ts'
import { STYLESHEET } from './pages/style.ts'
import {
  answerWithError,
  consenter,
  expired,
  fixedPatient,
  flowOf,
  grantable,
  issuerOf,
  stepUrl,
  wrongUser,
  type Flow,
} from './authorize-flow.ts'
import {
  appName,
  ownOrigins,
  pageError,
  problem,
  readForm,
  userName,
  type PatientDirectory,
} from './page-kit.ts'

/** How many patients the picker lists. */
const PICKER_SIZE = 20

const now = () => Math.floor(Date.now() / 1000)

const forged = () =>
  problem(403, 'Request refused', 'This form was not sent from this sign-in page. Start again.')

export function authorizeRoutes(patients: PatientDirectory): Hono<AppEnv> {
  const app = new Hono<AppEnv>()

  app.get(
    '/auth/static/style.css',
    () =>
      new Response(STYLESHEET, {
        headers: {
          'content-type': 'text/css; charset=utf-8',
          'x-content-type-options': 'nosniff',
          'cache-control': 'public, max-age=3600',
        },
      })
  )

  const authorize = async (c: Context<AppEnv>, params: URLSearchParams, status: 302 | 303) => {
    const fhirBase = oauthUrls(baseUrl(c)).issuer
    const checked = await checkAuthorizeRequest(c.env, params, fhirBase, c.get('log'))
    if (checked.kind === 'page') return problem(checked.status, checked.title, checked.message)
    if (checked.kind === 'redirect') {
      c.get('log').info('authorize refused', { error: checked.error, reason: checked.description })
      const location = redirectWith(checked.redirectUri, {
        error: checked.error,
        error_description: checked.description,
        state: checked.state,
        iss: fhirBase,
      })
      return flowRedirect(location, status)
    }
    const browser = browserBinding(c)
    const handle = await storeRequest(c.env.DB, checked.request, browser.value, now())
    const cookies = browser.setCookie ? [browser.setCookie] : []
    return flowRedirect(stepUrl(c, 'login', handle), status, cookies)
  }

  app.get('/auth/authorize', (c) => authorize(c, new URL(c.req.url).searchParams, 302))
  app.post('/auth/authorize', async (c) => {
    const form = await readForm(c)
    if (!form || new URL(c.req.url).search !== '') {
      return problem(400, 'Bad request', 'Send the authorization request as a form, or with GET.')
    }
    return authorize(c, form, 303)
  })

  app.get('/auth/login', async (c) => {
    const flow = await flowOf(c, c.req.query('request'))
    if (!flow) return expired()
    if (await openSessionOf(c.env.DB, sessionValue(c), now())) {
      return flowRedirect(stepUrl(c, 'consent', flow.handle), 302)
    }
    // form-action: after login, a first-party app is redirected to at once (browsers check the chain).
    return pageResponse(loginPage({ appName: appName(flow.client), request: flow.handle }), 200, {
      formActions: [flow.request.redirectUri],
    })
  })

  app.post('/auth/login', async (c) => {
    if (!postedHere(c, ownOrigins(c))) return forged()
    const form = await readForm(c)
    const flow = await flowOf(c, form?.get('request'))
    if (!form || !flow) return expired()
    const username = form.get('username') ?? ''
    const address = addressKey(c.req.header('cf-connecting-ip'))
    const result = await verifyLogin(
      c.env,
      username,
      form.get('password') ?? '',
      address,
      c.get('log')
    )
    if (!result.ok) {
      const page = loginPage({
        appName: appName(flow.client),
        request: flow.handle,
        username,
        error: result.retryAfter === undefined ? 'invalid' : 'limited',
        ...(result.retryAfter !== undefined && { retryAfter: result.retryAfter }),
      })
      const formActions = [flow.request.redirectUri]
      return result.retryAfter === undefined
        ? pageResponse(page, 401, { formActions })
        : pageResponse(page, 429, {
            formActions,
            headers: { 'retry-after': String(result.retryAfter) },
          })
    }
    const launchUser = flow.request.launch?.user
    if (launchUser !== undefined && launchUser !== result.user.id) return wrongUser()
    // A new session on every login (no session fixation); the one this browser had ends.
    await endSession(c.env.DB, sessionValue(c), now())
    const { value } = await openSession(c.env.DB, result.user.id, now())
    return flowRedirect(stepUrl(c, 'consent', flow.handle), 303, [sessionCookie(value)])
  })

  /** The consent page (`error`: why the last answer was not taken), or the code when none is needed. */
  const showConsent = async (
    c: Context<AppEnv>,
    flow: Flow,
    who: { user: StoredUser; session: Session },
    query: string,
    status: number,
    error?: string
  ) => {
    const { request, client } = flow
    const offered = grantable(request, who.user)
    const fixed = fixedPatient(request, who.user)
    const picking = fixed === undefined && needsPatient(offered)
    if (!offered.length) {
      // Only user/ scopes, and a patient logged in: nothing this person can grant (RFC 6749 §4.1.2.1).
      return answerWithError(
        c,
        flow,
        'invalid_scope',
        'Nothing requested can be granted by a patient'
      )
    }
    if (isFirstParty(client) && !picking && error === undefined) {
      // First-party apps are not asked about (the organisation runs them): everything offered.
      const location = await issueCode(
        c.env.DB,
        flow.handle,
        request,
        who.user,
        who.session,
        offered,
        needsPatient(offered) || offered.includes('launch') ? fixed : undefined,
        issuerOf(c)
      )
      return flowRedirect(location, 302)
    }
    const patient =
      fixed === undefined
        ? undefined
        : ((await patients.get(c.env.DB, fixed)) ?? { id: fixed, name: `Patient ${fixed}` })
    const picker = picking
      ? { query, results: await patients.find(c.env.DB, query, PICKER_SIZE) }
      : undefined
    const page = consentPage({
      appName: appName(client),
      request: flow.handle,
      userName: userName(who.user),
      scopes: offered,
      ...(patient && { patient }),
      ...(picker && { picker }),
      ...(error !== undefined && { error }),
    })
    return pageResponse(page, status, { formActions: [request.redirectUri] })
  }

  app.get('/auth/consent', async (c) => {
    const flow = await flowOf(c, c.req.query('request'))
    if (!flow) return expired()
    const who = await consenter(c, flow)
    if (who instanceof Response) return who
    return showConsent(c, flow, who, (c.req.query('q') ?? '').slice(0, 200), 200)
  })

  app.post('/auth/consent', async (c) => {
    if (!postedHere(c, ownOrigins(c))) return forged()
    const form = await readForm(c)
    const flow = await flowOf(c, form?.get('request'))
    if (!form || !flow) return expired()
    const who = await consenter(c, flow)
    if (who instanceof Response) return who
    const { request } = flow
    const decision = form.get('decision')
    if (decision === 'deny') {
      return answerWithError(c, flow, 'access_denied', 'The person did not allow access')
    }
    if (decision !== 'allow') return problem(400, 'Bad request', 'Press Allow or Deny.')
    const scopes = chosenScopes(grantable(request, who.user), form.getAll('scope'))
    const again = (error: string) => showConsent(c, flow, who, '', 400, error)
    if (!scopes.length) return again('Choose at least one permission, or press Deny.')
    let patient: string | undefined
    if (needsPatient(scopes) || scopes.includes('launch')) {
      patient = fixedPatient(request, who.user)
      if (patient === undefined && needsPatient(scopes)) {
        const chosen = form.get('patient')
        const found = chosen && isId(chosen) ? await patients.get(c.env.DB, chosen) : null
        if (!found) return again('Choose a patient.')
        patient = found.id
      }
    }
    let location: string
    try {
      location = await issueCode(
        c.env.DB,
        flow.handle,
        request,
        who.user,
        who.session,
        scopes,
        patient,
        issuerOf(c)
      )
    } catch (err) {
      if (isTokenGuardRefusal(err)) return expired()
      throw err
    }
    c.get('log').info('authorization granted', { client_id: request.clientId, user: who.user.id })
    return flowRedirect(location, 303)
  })

  app.post('/auth/logout', async (c) => {
    if (!postedHere(c, ownOrigins(c))) return forged()
    await endSession(c.env.DB, sessionValue(c), now())
    const form = await readForm(c)
    const flow = await flowOf(c, form?.get('request'))
    if (flow) return flowRedirect(stepUrl(c, 'login', flow.handle), 303, [clearSessionCookie()])
    return pageResponse(
      errorPage({ title: 'Signed out', message: 'You are signed out. You can close this page.' }),
      200,
      { cookies: [clearSessionCookie()] }
    )
  })

  for (const path of ['/auth/authorize', '/auth/login', '/auth/consent']) {
    app.all(path, (c) =>
      pageResponse(
        errorPage({ title: 'Not allowed', message: `${c.req.method} is not allowed here.` }),
        405,
        {
          headers: { allow: 'GET, HEAD, POST' },
        }
      )
    )
  }
  app.onError(pageError)

  app.all('/auth/logout', () =>
    pageResponse(errorPage({ title: 'Not allowed', message: 'Sign out with the button.' }), 405, {
      headers: { allow: 'POST' },
    })
  )

  return app
}

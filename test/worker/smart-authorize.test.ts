// The authorization endpoint (RFC 6749 §4.1.1, §4.1.2.1; RFC 7636 §4.4.1; SMART App Launch 2
// "authorization request"): which mistakes get an error page and which an error redirect, `state`
// echoed byte for byte, `aud` checked, PKCE S256 required, GET and POST; and its pages: security
// headers, __Host- cookies, the browser binding and cross-site forgery refused, login failures,
// consent (unticking, Deny), first-party apps and the patient picker.

import { describe, expect, it } from 'vitest'
import { call } from './helpers.ts'
import { ISSUER } from './oauth-helpers.ts'
import {
  authorizeQuery,
  Browser,
  exchange,
  handleOf,
  launch,
  person,
  pkce,
  REDIRECT,
  registerApp,
  storePatient,
  tokenBody,
  type App,
} from './smart-helpers.ts'

/** GET /auth/authorize with the query of `app` and `overrides` (`null` drops a parameter). */
async function authorize(
  app: App,
  overrides: Record<string, string | null> = {},
  browser = new Browser()
) {
  const { challenge } = await pkce()
  const query = authorizeQuery(app, challenge)
  for (const [name, value] of Object.entries(overrides)) {
    if (value === null) query.delete(name)
    else query.set(name, value)
  }
  return browser.fetch(`/auth/authorize?${query}`)
}

/** Asserts an error redirect to the app's redirect URI (RFC 6749 §4.1.2.1) and returns its query. */
function errorRedirect(res: Response, error: string): URLSearchParams {
  expect(res.status).toBe(302)
  const location = new URL(res.headers.get('location')!)
  expect(location.origin + location.pathname).toBe(REDIRECT)
  expect(location.searchParams.get('error')).toBe(error)
  expect(location.searchParams.get('code')).toBeNull()
  return location.searchParams
}

/** Asserts an HTML error page (never a redirect). */
async function errorPage(res: Response, status = 400): Promise<string> {
  expect(res.status).toBe(status)
  expect(res.headers.get('location')).toBeNull()
  expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
  return res.text()
}

describe('an unknown client or redirect URI gets an error page, never a redirect (RFC 6749 §4.1.2.1)', () => {
  it.each([
    ['an unknown client_id', { client_id: 'no-such-app' }],
    ['no client_id', { client_id: null }],
    ['a redirect_uri not registered', { redirect_uri: 'https://evil.example/callback' }],
    ['a registered redirect_uri with another query', { redirect_uri: `${REDIRECT}?x=1` }],
    ['no redirect_uri', { redirect_uri: null }],
  ])('%s', async (_, overrides) => {
    const app = await registerApp()
    const page = await errorPage(await authorize(app, overrides))
    expect(page).toContain('This app cannot sign you in')
  })

  it('a Client without the authorization_code grant, or disabled', async () => {
    const noGrant = await registerApp({ grant_types: ['client_credentials'] })
    await errorPage(await authorize(noGrant))
    const disabled = await registerApp({ active: false })
    await errorPage(await authorize(disabled))
  })
})

describe('other mistakes redirect with an error and the state (RFC 6749 §4.1.2.1, RFC 7636 §4.4.1)', () => {
  it.each([
    ['response_type token', { response_type: 'token' }, 'unsupported_response_type'],
    ['no response_type', { response_type: null }, 'invalid_request'],
    ['no code_challenge (PKCE is required)', { code_challenge: null }, 'invalid_request'],
    ['code_challenge_method plain', { code_challenge_method: 'plain' }, 'invalid_request'],
    ['no code_challenge_method', { code_challenge_method: null }, 'invalid_request'],
    ['a code_challenge that is no S256 digest', { code_challenge: 'short' }, 'invalid_request'],
    [
      'an aud naming another server',
      { aud: 'https://inferno.healthit.gov/invalid_aud' },
      'invalid_request',
    ],
    ['no aud', { aud: null }, 'invalid_request'],
    ['no scope', { scope: null }, 'invalid_scope'],
    ['only scopes the app may not have', { scope: 'system/*.* patient/*.cruds' }, 'invalid_scope'],
    ['a launch value never issued', { launch: 'x'.repeat(43) }, 'invalid_request'],
  ])('%s', async (_, overrides, error) => {
    const app = await registerApp()
    const query = errorRedirect(await authorize(app, { state: 'st-1', ...overrides }), error)
    expect(query.get('state')).toBe('st-1')
    expect(query.get('error_description')).toBeTruthy()
  })

  it('refuses a request without state (SMART requires it) with no state in the answer', async () => {
    const app = await registerApp()
    const query = errorRedirect(await authorize(app, { state: null }), 'invalid_request')
    expect(query.has('state')).toBe(false)
  })

  it('refuses a repeated parameter (RFC 6749 §3.1)', async () => {
    const app = await registerApp()
    const { challenge } = await pkce()
    const query = authorizeQuery(app, challenge, { state: 's' })
    query.append('scope', 'openid')
    errorRedirect(await new Browser().fetch(`/auth/authorize?${query}`), 'invalid_request')
  })

  it('keeps the query the redirect URI has', async () => {
    const redirect = 'https://app.example/cb?tenant=a%20b'
    const app = await registerApp({
      auth: { authorization_code: { redirect_uri: [REDIRECT, redirect] } },
    })
    const res = await authorize(app, { redirect_uri: redirect, response_type: 'token' })
    const location = new URL(res.headers.get('location')!)
    expect(location.searchParams.get('tenant')).toBe('a b')
    expect(location.searchParams.get('error')).toBe('unsupported_response_type')
  })
})

describe('a good request (SMART App Launch 2 "authorization request")', () => {
  it('echoes state byte for byte, through login and consent, with the issuer (RFC 9207)', async () => {
    const app = await registerApp()
    const user = await person(`Patient/${await storePatient()}`)
    const state = 'ü &+=%20/?#"\'<>'
    const launched = await launch(app, user, { state })
    expect(launched.state).toBe(state)
    expect(launched.redirect.searchParams.get('iss')).toBe(ISSUER)
  })

  it('lets the login page post to a first-party app’s origin (browsers check the redirect chain)', async () => {
    const app = await registerApp({ first_party: true })
    const browser = new Browser()
    const res = await browser.fetch((await authorize(app, {}, browser)).headers.get('location')!)
    expect(res.headers.get('content-security-policy')).toContain(
      "form-action 'self' https://app.example"
    )
  })

  it('accepts aud with a trailing slash', async () => {
    const app = await registerApp()
    const res = await authorize(app, { aud: `${ISSUER}/` })
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toMatch(/^https:\/\/fhir\.test\/auth\/login\?request=/)
  })

  it('takes the request as a form POST (SMART "authorize-post")', async () => {
    const app = await registerApp()
    const { challenge } = await pkce()
    const query = authorizeQuery(app, challenge)
    const res = await new Browser().fetch('/auth/authorize', {
      form: Object.fromEntries(query),
      headers: { origin: 'https://app.example', 'sec-fetch-site': 'cross-site' },
    })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toMatch(/\/auth\/login\?request=/)
  })

  it('sets a __Host- browser cookie: Secure, HttpOnly, SameSite=Lax, Path=/ (RFC 6265bis §4.1.3.2)', async () => {
    const app = await registerApp()
    const res = await authorize(app)
    const [cookie] = res.headers.getSetCookie()
    expect(cookie).toMatch(/^__Host-edge-fhir-browser=[\w-]{43}; /)
    expect(cookie).toContain('Path=/')
    expect(cookie).toContain('Secure')
    expect(cookie).toContain('HttpOnly')
    expect(cookie).toContain('SameSite=Lax')
    expect(cookie).not.toContain('Domain')
  })

  it('serves pages with CSP, frame-ancestors none, no referrer, no-store', async () => {
    const app = await registerApp()
    const browser = new Browser()
    const res = await browser.fetch((await authorize(app, {}, browser)).headers.get('location')!)
    expect(res.status).toBe(200)
    const csp = res.headers.get('content-security-policy')!
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).toContain("default-src 'none'")
    expect(res.headers.get('referrer-policy')).toBe('no-referrer')
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.headers.get('x-frame-options')).toBe('DENY')
    const css = await call('GET', '/auth/static/style.css')
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8')
  })
})

describe('the login page', () => {
  async function atLogin() {
    const app = await registerApp()
    const browser = new Browser()
    const login = (await authorize(app, {}, browser)).headers.get('location')!
    return { app, browser, handle: handleOf(login) }
  }

  it('refuses a wrong password with the same words as an unknown login, and stays on the page', async () => {
    const { browser, handle } = await atLogin()
    const user = await person()
    const wrong = await browser.fetch('/auth/login', {
      form: { request: handle, username: user.email, password: 'nope' },
    })
    const unknown = await browser.fetch('/auth/login', {
      form: { request: handle, username: 'nobody@example.org', password: 'nope' },
    })
    expect(wrong.status).toBe(401)
    expect(unknown.status).toBe(401)
    const text = (page: string) => page.replace(/value="[^"]*"/g, '')
    expect(text(await wrong.text())).toBe(text(await unknown.text()))
    expect(browser.cookies.has('__Host-edge-fhir-session')).toBe(false)
  })

  it('is of no use in another browser: the request is bound to the one that made it', async () => {
    const { handle } = await atLogin()
    const user = await person()
    const other = new Browser()
    const res = await other.fetch('/auth/login', {
      form: { request: handle, username: user.email, password: user.password },
    })
    expect(await errorPage(res)).toContain('expired')
    expect(other.cookies.size).toBe(0)
  })

  it('refuses a form posted from another site (cross-site request forgery)', async () => {
    const { browser, handle } = await atLogin()
    const user = await person()
    const res = await browser.fetch('/auth/login', {
      form: { request: handle, username: user.email, password: user.password },
      headers: { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
    })
    await errorPage(res, 403)
    expect(browser.cookies.has('__Host-edge-fhir-session')).toBe(false)
  })

  it('opens a session cookie (__Host-, HttpOnly) and skips login on the next request', async () => {
    const app = await registerApp()
    const user = await person(`Patient/${await storePatient()}`)
    const first = await launch(app, user)
    expect(first.browser.cookies.has('__Host-edge-fhir-session')).toBe(true)
    const res = await authorize(app, {}, first.browser)
    const login = await first.browser.fetch(res.headers.get('location')!)
    expect(login.status).toBe(302)
    expect(login.headers.get('location')).toMatch(/\/auth\/consent\?request=/)
  })
})

describe('the consent page (SMART App Launch 2: the person chooses)', () => {
  it('lists the requested scopes ticked; what is unticked is not granted', async () => {
    const app = await registerApp()
    const user = await person(`Patient/${await storePatient()}`)
    const launched = await launch(app, user, {
      scope: 'launch/patient openid fhirUser patient/Patient.rs patient/Observation.rs',
      untick: ['patient/Observation.rs', 'fhirUser'],
    })
    const body = await tokenBody(await exchange(app, launched))
    expect(body.scope).toBe('launch/patient openid patient/Patient.rs')
  })

  it('Deny sends the app access_denied with its state', async () => {
    const app = await registerApp()
    const user = await person(`Patient/${await storePatient()}`)
    const browser = new Browser()
    const login = (await authorize(app, { state: 'deny-me' }, browser)).headers.get('location')!
    const handle = handleOf(login)
    await browser.fetch('/auth/login', {
      form: { request: handle, username: user.email, password: user.password },
    })
    const res = await browser.fetch('/auth/consent', {
      form: { request: handle, decision: 'deny' },
    })
    expect(res.status).toBe(303)
    const location = new URL(res.headers.get('location')!)
    expect(location.searchParams.get('error')).toBe('access_denied')
    expect(location.searchParams.get('state')).toBe('deny-me')
    // The request is answered: Allow afterwards finds nothing.
    const again = await browser.fetch('/auth/consent', {
      form: { request: handle, decision: 'allow', scope: 'openid' },
    })
    await errorPage(again)
  })

  it('answers 400 when nothing is ticked, and lets the person try again', async () => {
    const app = await registerApp()
    const user = await person(`Patient/${await storePatient()}`)
    const browser = new Browser()
    const handle = handleOf((await authorize(app, {}, browser)).headers.get('location')!)
    await browser.fetch('/auth/login', {
      form: { request: handle, username: user.email, password: user.password },
    })
    const res = await browser.fetch('/auth/consent', {
      form: { request: handle, decision: 'allow' },
    })
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('Choose at least one permission')
  })

  it('lets a first-party app skip consent', async () => {
    const app = await registerApp({ first_party: true })
    const user = await person(`Patient/${await storePatient()}`)
    const browser = new Browser()
    const handle = handleOf((await authorize(app, {}, browser)).headers.get('location')!)
    await browser.fetch('/auth/login', {
      form: { request: handle, username: user.email, password: user.password },
    })
    const res = await browser.fetch(`/auth/consent?request=${handle}`)
    expect(res.status).toBe(302)
    expect(new URL(res.headers.get('location')!).searchParams.get('code')).toBeTruthy()
  })

  it('shows a practitioner a patient picker, and the token is bound to the patient picked', async () => {
    const app = await registerApp()
    const family = `Picked${crypto.randomUUID().slice(0, 6)}`
    const patient = await storePatient(family, 'Zoe')
    const user = await person('Practitioner/dr-1')
    const browser = new Browser()
    const handle = handleOf((await authorize(app, {}, browser)).headers.get('location')!)
    await browser.fetch('/auth/login', {
      form: { request: handle, username: user.email, password: user.password },
    })
    const page = await (await browser.fetch(`/auth/consent?request=${handle}&q=${family}`)).text()
    expect(page).toContain(`value="${patient}"`)
    expect(page).toContain(`Zoe ${family}`)
    const missing = await browser.fetch('/auth/consent', {
      form: { request: handle, decision: 'allow', scope: ['launch/patient', 'patient/*.rs'] },
    })
    expect(missing.status).toBe(400)
    const res = await browser.fetch('/auth/consent', {
      form: {
        request: handle,
        decision: 'allow',
        scope: ['launch/patient', 'patient/*.rs'],
        patient,
      },
    })
    expect(res.status).toBe(303)
    const code = new URL(res.headers.get('location')!).searchParams.get('code')!
    expect(code).toBeTruthy()
  })

  it('sign-out ends the session: the next request asks to log in again', async () => {
    const app = await registerApp()
    const user = await person(`Patient/${await storePatient()}`)
    const { browser } = await launch(app, user)
    const out = await browser.fetch('/auth/logout', { form: {} })
    expect(out.status).toBe(200)
    expect(browser.cookies.has('__Host-edge-fhir-session')).toBe(false)
    const login = (await authorize(app, {}, browser)).headers.get('location')!
    expect((await browser.fetch(login)).status).toBe(200)
  })
})

describe('an unexpected failure on a page', () => {
  it('is an HTML page with a reference, no stack trace or SQL', async () => {
    const { env } = await import('cloudflare:test')
    const { buildApp } = await import('../../src/app.ts')
    const broken = {
      ...env,
      DB: new Proxy(env.DB, {
        get: () => () => {
          throw new Error('D1_ERROR: no such table: oauth_request SELECT secret')
        },
      }),
    }
    const handle = 'h'.repeat(43)
    const res = await buildApp().fetch(
      new Request(`https://fhir.test/auth/login?request=${handle}`, {
        headers: { cookie: `__Host-edge-fhir-browser=${'b'.repeat(43)}` },
      }),
      broken
    )
    expect(res.status).toBe(500)
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    const page = await res.text()
    expect(page).toMatch(/reference [0-9a-f-]{36}/)
    expect(page).not.toContain('D1_ERROR')
    expect(page).not.toContain('SELECT')
  })
})

// The page of the apps a person allowed (SMART App Launch 2 `management_endpoint`; ONC
// §170.315(g)(10) token revocation, "the patient revoked access"): the list of a User's live grants
// after a launch, revoking one (its refresh token 400 invalid_grant, its access token 401 at once),
// only the session's own grants (another User's grant id is 404 and stays), cross-site and tokenless
// forms refused, and the page's own login form.

import { describe, expect, it } from 'vitest'
import { call, ROOT } from './helpers.ts'
import { expectOAuthError } from './oauth-helpers.ts'
import {
  Browser,
  exchange,
  launch,
  person,
  refresh,
  registerApp,
  storePatient,
  tokenBody,
} from './smart-helpers.ts'

const PAGE = '/auth/grants'
const SESSION = '__Host-edge-fhir-session'

const read = (path: string, token: string) => call('GET', path, { auth: `Bearer ${token}` })

/** A patient who launched an app named `name` (with `scope`), and the tokens it received. */
async function allowedApp(name = 'Growth Chart', scope?: string) {
  const app = await registerApp({ name })
  const patient = await storePatient('Smith', 'Ann')
  const user = await person(`Patient/${patient}`)
  const launched = await launch(app, user, scope ? { scope } : {})
  const tokens = await tokenBody(await exchange(app, launched))
  return { app, patient, user, browser: launched.browser, tokens }
}

/** The page of `browser`'s grants: its HTML, and the form token and grant ids it carries. */
async function grantsOf(browser: Browser, path = PAGE) {
  const res = await browser.fetch(path)
  const page = await res.text()
  expect(res.status, page).toBe(200)
  return {
    res,
    page,
    token: page.match(/name="token" value="([^"]+)"/)?.[1],
    grants: [...page.matchAll(/name="grant" value="([^"]+)"/g)].map((m) => m[1]!),
  }
}

const revoke = (browser: Browser, form: Record<string, string>, headers = {}) =>
  browser.fetch(`${PAGE}/revoke`, { form, headers })

describe('GET /auth/grants lists the apps the signed-in person allowed', () => {
  it('shows the app, what it may do in plain words, the patient, the dates and a Revoke form', async () => {
    const { browser } = await allowedApp()
    const { res, page, token, grants } = await grantsOf(browser)
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'")
    expect(res.headers.get('content-security-policy')).toContain("form-action 'self';")
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.headers.get('x-frame-options')).toBe('DENY')
    expect(page).toContain('<h1>Apps you allowed</h1>')
    expect(page).toContain('<h2>Growth Chart</h2>')
    expect(page).toContain('Read and search all of this patient&#39;s records')
    expect(page).toContain('Keep access when you are not using it')
    expect(page).toContain('Ann Smith')
    expect(page).toMatch(/<dt>Allowed<\/dt>\s*<dd><time datetime="\d{4}-\d\d-\d\dT/)
    expect(page).toContain('action="/auth/grants/revoke"')
    expect(page).not.toContain('<script')
    expect(token).toMatch(/^[\w-]{22}$/)
    expect(grants).toHaveLength(1)
    expect(grants[0]).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('lists a grant with only an access token (no offline_access), and says when online_access ends', async () => {
    const { browser } = await allowedApp('Viewer', 'launch/patient openid fhirUser patient/*.rs')
    const first = await grantsOf(browser)
    expect(first.page).toContain('<h2>Viewer</h2>')
    expect(first.grants).toHaveLength(1)

    const online = await registerApp({ name: 'Online app' })
    const user = await person(`Patient/${await storePatient()}`)
    const launched = await launch(online, user, {
      scope: 'launch/patient online_access patient/*.rs',
    })
    await tokenBody(await exchange(online, launched))
    const { page } = await grantsOf(launched.browser)
    expect(page).toContain('When you sign out, at the latest')
  })

  it('lists only the session User’s grants, each app once', async () => {
    const mine = await allowedApp('Mine')
    const theirs = await allowedApp('Theirs')
    // The same person allows a second app in the same browser (the session skips the login).
    const second = await registerApp({ name: 'Second' })
    const launched = await launch(second, mine.user, { browser: mine.browser })
    await tokenBody(await exchange(second, launched))
    const { page, grants } = await grantsOf(mine.browser)
    expect(grants).toHaveLength(2)
    expect(page).toContain('<h2>Second</h2>')
    expect(page).toContain('<h2>Mine</h2>')
    expect(page).not.toContain('Theirs')
    expect((await grantsOf(theirs.browser)).grants).toHaveLength(1)
  })

  it('says so when the person allowed no app', async () => {
    const user = await person()
    const browser = new Browser()
    const login = await grantsOf(browser)
    const res = await browser.fetch(`${PAGE}/login`, {
      form: { token: login.token!, username: user.email, password: user.password },
    })
    expect(res.status).toBe(303)
    const { page, grants } = await grantsOf(browser)
    expect(grants).toEqual([])
    expect(page).toContain('No app can use your health records.')
  })
})

describe('POST /auth/grants/revoke (ONC (g)(10): the patient revoked access)', () => {
  it('revokes the grant: refresh 400 invalid_grant, access token 401, gone from the list', async () => {
    const { browser, app, patient, tokens } = await allowedApp()
    expect((await read(`/fhir/Patient/${patient}`, tokens.access_token)).status).toBe(200)
    const { token, grants } = await grantsOf(browser)
    const res = await revoke(browser, { token: token!, grant: grants[0]! })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe(`https://fhir.test${PAGE}?revoked=1`)
    expect(res.headers.get('cache-control')).toBe('no-store')
    await expectOAuthError(await refresh(app, tokens.refresh_token), 400, 'invalid_grant')
    expect((await read(`/fhir/Patient/${patient}`, tokens.access_token)).status).toBe(401)
    const after = await grantsOf(browser, res.headers.get('location')!)
    expect(after.grants).toEqual([])
    expect(after.page).toMatch(/role="status">\s*Access revoked/)
  })

  it('answers 404 to another User’s grant id, and revokes nothing', async () => {
    const mine = await allowedApp('Mine')
    const theirs = await allowedApp('Theirs')
    const {
      grants: [theirGrant],
    } = await grantsOf(theirs.browser)
    const { token } = await grantsOf(mine.browser)
    const res = await revoke(mine.browser, { token: token!, grant: theirGrant! })
    expect(res.status).toBe(404)
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(await res.text()).toContain('not among the apps you allowed')
    expect((await read(`/fhir/Patient/${theirs.patient}`, theirs.tokens.access_token)).status).toBe(
      200
    )
    await tokenBody(await refresh(theirs.app, theirs.tokens.refresh_token))
    // An id that is no grant at all, or not one, is the same 404.
    for (const grant of [crypto.randomUUID(), 'x']) {
      expect((await revoke(mine.browser, { token: token!, grant })).status).toBe(404)
    }
  })

  it('refuses a cross-site form, and a form without the session’s token (CSRF), revoking nothing', async () => {
    const { browser, patient, tokens } = await allowedApp()
    const { token, grants } = await grantsOf(browser)
    const form = { token: token!, grant: grants[0]! }
    const crossSite = await revoke(browser, form, {
      'sec-fetch-site': 'cross-site',
      origin: 'https://evil.example',
    })
    expect(crossSite.status).toBe(403)
    // Older browsers without Sec-Fetch-Site: an Origin of another site.
    expect((await revoke(browser, form, { origin: 'https://evil.example' })).status).toBe(403)
    // Same origin, but not our page: no token, or another session's.
    expect((await revoke(browser, { grant: grants[0]! })).status).toBe(403)
    const other = await allowedApp('Other')
    const { token: otherToken } = await grantsOf(other.browser)
    expect((await revoke(browser, { token: otherToken!, grant: grants[0]! })).status).toBe(403)
    expect((await read(`/fhir/Patient/${patient}`, tokens.access_token)).status).toBe(200)
    expect((await grantsOf(browser)).grants).toEqual(grants)
  })

  it('without a session says to sign in again, and revokes nothing', async () => {
    const { browser, patient, tokens } = await allowedApp()
    const { token, grants } = await grantsOf(browser)
    const stranger = new Browser()
    const res = await revoke(stranger, { token: token!, grant: grants[0]! })
    expect(res.status).toBe(403)
    expect(await res.text()).toContain('You are signed out')
    expect((await read(`/fhir/Patient/${patient}`, tokens.access_token)).status).toBe(200)
  })

  it('allows only POST', async () => {
    const res = await new Browser().fetch(`${PAGE}/revoke`)
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toBe('POST')
  })
})

describe('signing in on the page', () => {
  it('without a session, shows the login form (posting to /auth/grants/login) and sets the browser cookie', async () => {
    const browser = new Browser()
    const { res, page, token, grants } = await grantsOf(browser)
    expect(grants).toEqual([])
    expect(page).toContain('<h1>Sign in</h1>')
    expect(page).toContain('action="/auth/grants/login"')
    expect(page).toContain('name="username"')
    expect(page).toContain('name="password"')
    expect(token).toMatch(/^[\w-]{22}$/)
    expect(res.headers.getSetCookie()[0]).toMatch(
      /^__Host-edge-fhir-browser=[\w-]{43}; Path=\/; Secure; HttpOnly; SameSite=Lax/
    )
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
  })

  it('a good login opens a session and lists the apps allowed in another browser', async () => {
    const { user } = await allowedApp()
    const browser = new Browser()
    const { token } = await grantsOf(browser)
    const res = await browser.fetch(`${PAGE}/login`, {
      form: { token: token!, username: user.email, password: user.password },
    })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe(`https://fhir.test${PAGE}`)
    expect(res.headers.getSetCookie().join('\n')).toMatch(
      new RegExp(`^${SESSION}=[\\w-]{43}; Path=/; Secure; HttpOnly; SameSite=Lax`, 'm')
    )
    const { page, grants } = await grantsOf(browser)
    expect(page).toContain('<h2>Growth Chart</h2>')
    expect(grants).toHaveLength(1)
  })

  it('a wrong password gets the login page’s wording (401), and no session', async () => {
    const user = await person()
    const browser = new Browser()
    const { token } = await grantsOf(browser)
    const res = await browser.fetch(`${PAGE}/login`, {
      form: { token: token!, username: user.email, password: 'wrong-password' },
    })
    expect(res.status).toBe(401)
    const page = await res.text()
    expect(page).toContain('The email/user name or password is wrong.')
    expect(page).toContain('action="/auth/grants/login"')
    expect(browser.cookies.has(SESSION)).toBe(false)
  })

  it('refuses a login posted cross-site, or with another browser’s token (login CSRF)', async () => {
    const user = await person()
    const browser = new Browser()
    const { token } = await grantsOf(browser)
    const form = { token: token!, username: user.email, password: user.password }
    const crossSite = await browser.fetch(`${PAGE}/login`, {
      form,
      headers: { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
    })
    expect(crossSite.status).toBe(403)
    const victim = new Browser()
    await grantsOf(victim)
    expect((await victim.fetch(`${PAGE}/login`, { form })).status).toBe(403)
    expect(browser.cookies.has(SESSION)).toBe(false)
    expect(victim.cookies.has(SESSION)).toBe(false)
  })

  it('a disabled User’s session shows the login form again', async () => {
    const { user, browser } = await allowedApp()
    const res = await call('PUT', `/User/${user.id}`, {
      auth: ROOT,
      body: { email: user.email, password: user.password, active: false },
    })
    expect(res.status).toBe(200)
    const { page } = await grantsOf(browser)
    expect(page).toContain('action="/auth/grants/login"')
  })
})

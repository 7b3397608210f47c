// SMART App Launch end to end in a real browser: headless Chromium (playwright-core) runs a small SMART
// app built on the published fhirclient library (its browser build, unmodified) against a real
// `wrangler dev`. A person signs in on the login page, unticks a scope on the consent page and allows;
// the app gets a token (authorization code + PKCE S256, confidential client) and shows the patient's
// HbA1c results. Standalone launch and EHR launch (POST /auth/launch), each in a fresh browser context.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { startIsolatedDev, type DevServer } from '../../scripts/local.ts'
import {
  allow,
  APP_SCOPE,
  ehrLaunch,
  FIXTURE,
  launchBrowser,
  nextStop,
  readApp,
  registerFixture,
  signIn,
  startSmartApp,
  type SmartApp,
} from '../../scripts/smart-launch.ts'

const ROOT = { id: 'e2e-root', secret: 'e2e-root-secret-0123456789' }
const UNTICKED = 'patient/Condition.rs'

let server: DevServer
let app: SmartApp
let browser: Browser
let context: BrowserContext | undefined

beforeAll(async () => {
  server = await startIsolatedDev(ROOT)
  app = await startSmartApp({
    clientId: FIXTURE.client.id,
    clientSecret: FIXTURE.client.secret,
    scope: APP_SCOPE,
  })
  browser = await launchBrowser()
})

afterAll(async () => {
  await context?.close()
  await browser?.close()
  await app?.stop()
  await server?.stop()
})

/** A fresh browser context (no cookies, no session storage) and one page in it. */
async function freshPage(): Promise<Page> {
  await context?.close()
  context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  const page = await context.newPage()
  page.setDefaultTimeout(15_000)
  return page
}

describe('the SMART app (fhirclient) before any login', () => {
  it('discovers the server and sends the browser to its authorization endpoint with PKCE S256', async () => {
    const page = await freshPage()
    const iss = `${server.url}/fhir`
    const discovery = page.waitForResponse(`${iss}/.well-known/smart-configuration`)
    discovery.catch(() => undefined)
    const authorize = page.waitForRequest((req) =>
      req.url().startsWith(`${server.url}/auth/authorize`)
    )
    authorize.catch(() => undefined) // awaited below; no unhandled rejection if a step before fails
    await page.goto(`${app.launchUrl}?iss=${encodeURIComponent(iss)}`)

    // The app read the discovery document (its body is gone once the browser moved on: read it again).
    expect((await discovery).status()).toBe(200)
    const config = (await (await fetch(`${iss}/.well-known/smart-configuration`)).json()) as Record<
      string,
      unknown
    >
    expect(config.authorization_endpoint).toBe(`${server.url}/auth/authorize`)
    expect(config.code_challenge_methods_supported).toContain('S256')

    const query = new URL((await authorize).url()).searchParams
    expect(query.get('response_type')).toBe('code')
    expect(query.get('client_id')).toBe(FIXTURE.client.id)
    expect(query.get('redirect_uri')).toBe(app.redirectUrl)
    expect(query.get('aud')).toBe(iss)
    expect(query.get('scope')).toBe(`launch/patient ${APP_SCOPE}`)
    expect(query.get('code_challenge_method')).toBe('S256')
    expect(query.get('code_challenge')).toMatch(/^[\w-]{43}$/)
    expect(query.get('state')).toBeTruthy()
  })
})

describe('SMART App Launch in a browser, with fhirclient', () => {
  beforeAll(async () => {
    await registerFixture(server.url, ROOT, app)
  })

  it('standalone launch: signs in, unticks a scope, allows, and the app shows the HbA1c results', async () => {
    const page = await freshPage()
    await page.goto(`${app.launchUrl}?iss=${encodeURIComponent(`${server.url}/fhir`)}`)

    expect(await nextStop(page, server.url, app)).toBe('login')
    await signIn(page, FIXTURE.user)
    expect(await nextStop(page, server.url, app)).toBe('consent')
    await allow(page, { untick: [UNTICKED], patientId: FIXTURE.patientId })
    expect(await nextStop(page, server.url, app)).toBe('app')

    const view = await readApp(page)
    expect(view.patientName).toBe(FIXTURE.patientName)
    expect(view.hba1c).toEqual(FIXTURE.hba1c)
    const granted = view.scope.split(' ')
    expect(granted).not.toContain(UNTICKED)
    expect(granted).toEqual(expect.arrayContaining(['patient/Observation.rs', 'offline_access']))
    expect(view.fhirUser).toBe(`Patient/${FIXTURE.patientId}`)
    expect(view.refreshToken).toBe('yes')
  })

  it('EHR launch: opens the launch_url of POST /auth/launch and the app shows the same results', async () => {
    const page = await freshPage()
    const { launch, launch_url } = await ehrLaunch(server.url, ROOT)
    const url = new URL(launch_url)
    expect(`${url.origin}${url.pathname}`).toBe(app.launchUrl)
    expect(url.searchParams.get('iss')).toBe(`${server.url}/fhir`)
    expect(url.searchParams.get('launch')).toBe(launch)
    await page.goto(launch_url)

    // A fresh context has no session, so the User signs in first; a server that carries the user
    // in the launch context may skip that (and the consent page, if it remembers one): both pass.
    const seen: string[] = []
    for (let stop = await nextStop(page, server.url, app); stop !== 'app';) {
      seen.push(stop)
      if (stop === 'login') await signIn(page, FIXTURE.user)
      else if (stop === 'consent') await allow(page, { untick: [UNTICKED] })
      if (seen.length > 3) throw new Error(`no way back to the app after ${seen.join(', ')}`)
      stop = await nextStop(page, server.url, app)
    }

    const view = await readApp(page)
    expect(view.patientName).toBe(FIXTURE.patientName)
    expect(view.hba1c).toEqual(FIXTURE.hba1c)
    const granted = view.scope.split(' ')
    expect(granted).toContain('launch')
    if (seen.includes('consent')) expect(granted).not.toContain(UNTICKED)
    expect(view.fhirUser).toBe(`Patient/${FIXTURE.patientId}`)
  })
})

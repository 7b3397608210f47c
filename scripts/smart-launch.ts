// The browser harness shared by test/e2e/smart-launch.test.ts and scripts/screenshots.ts: a headless
// Chromium (@sparticuz/chromium driven by playwright-core), the SMART app of test/e2e/smart-app/ on a
// loopback port with fhirclient's browser build unmodified, the fixture (a Patient with two HbA1c
// results, a User who is that Patient, a confidential Client and its AccessPolicy) registered through
// the admin API, and the steps a person takes on the login and consent pages (/work/notes contract).

import { readFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import sparticuz from '@sparticuz/chromium'
import { chromium, type Browser, type Page } from 'playwright-core'
import { basicHeader, ROOT } from './local.ts'

/**
 * Chromium as @sparticuz/chromium ships it, less three of its flags: `--single-process` (closing a
 * context there ends the browser, so a second context fails), and `--disable-web-security` with
 * `--allow-running-insecure-content` (they switch CORS and mixed-content checks off; the app must
 * meet the same rules as in a real browser).
 */
export async function launchBrowser(): Promise<Browser> {
  const dropped = ['--single-process', '--disable-web-security', '--allow-running-insecure-content']
  return chromium.launch({
    executablePath: await sparticuz.executablePath(),
    args: sparticuz.args.filter((arg) => !dropped.includes(arg)),
    headless: true,
  })
}

// ---- The SMART app --------------------------------------------------------------------------

const APP_DIR = path.join(ROOT, 'test', 'e2e', 'smart-app')
/** fhirclient's browser build (the `FHIR` global), served as the package ships it. */
const FHIR_CLIENT_JS = fileURLToPath(import.meta.resolve('fhirclient/build/fhir-client.js'))
const FILES: Record<string, { file: string; type: string }> = {
  '/launch.html': { file: path.join(APP_DIR, 'launch.html'), type: 'text/html' },
  '/index.html': { file: path.join(APP_DIR, 'index.html'), type: 'text/html' },
  '/app.js': { file: path.join(APP_DIR, 'app.js'), type: 'text/javascript' },
  '/fhir-client.js': { file: FHIR_CLIENT_JS, type: 'text/javascript' },
}

/** What the app's config.js tells it: the registered Client and the scopes it asks for. */
export interface AppConfig {
  clientId: string
  clientSecret: string
  /** Scopes asked for besides the launch scope (`launch/patient` standalone, `launch` EHR). */
  scope: string
}

export interface SmartApp {
  origin: string
  launchUrl: string
  redirectUrl: string
  stop(): Promise<void>
}

/** Serves test/e2e/smart-app/, fhirclient's browser build and a generated config.js on 127.0.0.1. */
export async function startSmartApp(config: AppConfig): Promise<SmartApp> {
  const configJs = `window.SMART_APP = ${JSON.stringify(config)}\n`
  const server = http.createServer((req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://app')
    const entry = FILES[pathname]
    const headers = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' }
    if (pathname === '/config.js') {
      res.writeHead(200, { ...headers, 'content-type': 'text/javascript' }).end(configJs)
    } else if (entry && req.method === 'GET') {
      res.writeHead(200, { ...headers, 'content-type': `${entry.type}; charset=utf-8` })
      res.end(readFileSync(entry.file))
    } else {
      res.writeHead(404, headers).end()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    origin,
    launchUrl: `${origin}/launch.html`,
    redirectUrl: `${origin}/index.html`,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

// ---- The fixture ----------------------------------------------------------------------------

export interface Fixture {
  patientId: string
  patientName: string
  /** The HbA1c values as the app shows them, oldest first. */
  hba1c: string[]
  user: { id: string; email: string; password: string }
  client: { id: string; secret: string }
  /** Scopes the Client may have; the app asks for all of them but `launch`/`launch/patient`. */
  scopes: string[]
}

export const FIXTURE: Fixture = {
  patientId: 'smart-pt',
  patientName: 'Ada Lovelace',
  hba1c: ['6.8 %', '7.4 %'],
  user: { id: 'smart-user', email: 'ada@example.org', password: 'correct horse battery staple' },
  client: { id: 'smart-app', secret: 'smart-app-secret-0123456789' },
  scopes: [
    'launch',
    'launch/patient',
    'openid',
    'fhirUser',
    'offline_access',
    'patient/Patient.rs',
    'patient/Observation.rs',
    'patient/Condition.rs',
  ],
}

/** The scopes the app asks for besides the launch scope. */
export const APP_SCOPE = FIXTURE.scopes.filter((s) => !s.startsWith('launch')).join(' ')

async function put(
  baseUrl: string,
  root: { id: string; secret: string },
  p: string,
  body: unknown
) {
  const res = await fetch(`${baseUrl}${p}`, {
    method: 'PUT',
    headers: {
      authorization: basicHeader(root.id, root.secret),
      'content-type': 'application/json',
    },
    body: JSON.stringify(body),
  })
  if (res.status !== 200 && res.status !== 201) {
    throw new Error(`PUT ${p}: ${res.status} ${await res.text()}`)
  }
}

/** Registers the fixture through the admin and FHIR APIs (PUT by id: registering twice is fine). */
export async function registerFixture(
  baseUrl: string,
  root: { id: string; secret: string },
  app: SmartApp
): Promise<void> {
  const f = FIXTURE
  const [given, family] = f.patientName.split(' ')
  await put(baseUrl, root, `/fhir/Patient/${f.patientId}`, {
    resourceType: 'Patient',
    id: f.patientId,
    name: [{ given: [given], family }],
    birthDate: '1815-12-10',
  })
  for (const [i, value] of [6.8, 7.4].entries()) {
    await put(baseUrl, root, `/fhir/Observation/${f.patientId}-hba1c-${i + 1}`, {
      resourceType: 'Observation',
      id: `${f.patientId}-hba1c-${i + 1}`,
      status: 'final',
      code: {
        coding: [{ system: 'http://loinc.org', code: '4548-4', display: 'Hemoglobin A1c' }],
      },
      subject: { reference: `Patient/${f.patientId}` },
      effectiveDateTime: `2026-0${i + 3}-01`,
      valueQuantity: { value, unit: '%', system: 'http://unitsofmeasure.org', code: '%' },
    })
  }
  await put(baseUrl, root, `/User/${f.user.id}`, {
    email: f.user.email,
    password: f.user.password,
    fhirUser: { reference: `Patient/${f.patientId}` },
  })
  await put(baseUrl, root, `/Client/${f.client.id}`, {
    secret: f.client.secret,
    grant_types: ['authorization_code', 'refresh_token'],
    first_party: false,
    smart: { launch_uri: app.launchUrl },
    scope: f.scopes,
    auth: {
      authorization_code: {
        redirect_uri: app.redirectUrl,
        pkce: true,
        refresh_token: true,
        access_token_expiration: 300,
        token_format: 'jwt',
      },
    },
  })
  await put(baseUrl, root, `/AccessPolicy/${f.client.id}-allow`, {
    engine: 'allow',
    link: [{ resourceType: 'Client', id: f.client.id }],
  })
}

/** POST /auth/launch: an EHR launch of the fixture's Client for its Patient and User. */
export async function ehrLaunch(
  baseUrl: string,
  root: { id: string; secret: string }
): Promise<{ launch: string; launch_url: string }> {
  const res = await fetch(`${baseUrl}/auth/launch`, {
    method: 'POST',
    headers: {
      authorization: basicHeader(root.id, root.secret),
      'content-type': 'application/json',
    },
    body: JSON.stringify({
      client_id: FIXTURE.client.id,
      patient: FIXTURE.patientId,
      user: FIXTURE.user.id,
    }),
  })
  if (res.status !== 200 && res.status !== 201) {
    throw new Error(`POST /auth/launch: ${res.status} ${await res.text()}`)
  }
  return (await res.json()) as { launch: string; launch_url: string }
}

// ---- What a person does on the pages ----------------------------------------------------------

const STEP_TIMEOUT = 15_000

/** The page the browser is on: the server's login or consent page, the app, or something else. */
function whereIs(page: Page, baseUrl: string, app: SmartApp): string {
  const url = page.url()
  if (url.startsWith(`${baseUrl}/auth/login`)) return 'login'
  if (url.startsWith(`${baseUrl}/auth/consent`)) return 'consent'
  if (url.startsWith(app.redirectUrl)) return 'app'
  return url
}

/** Waits until the browser is on the login page, the consent page or back on the app. */
export async function nextStop(page: Page, baseUrl: string, app: SmartApp): Promise<string> {
  const stops = [`${baseUrl}/auth/login`, `${baseUrl}/auth/consent`, app.redirectUrl]
  try {
    await page.waitForURL((url) => stops.some((stop) => url.href.startsWith(stop)), {
      timeout: STEP_TIMEOUT,
    })
  } catch (err) {
    // Say where the browser is stuck and what that page says (an error page, the app's alert).
    const text = await page
      .locator('body')
      .innerText({ timeout: 1000 })
      .catch(() => '')
    throw new Error(
      `expected the login page, the consent page or the app; the browser is on ${page.url()}: ${text.replace(/\s+/g, ' ').slice(0, 400)}`,
      { cause: err }
    )
  }
  await page.waitForLoadState('domcontentloaded')
  return whereIs(page, baseUrl, app)
}

/** Fills the login page (labels and button of the contract) and signs in. */
export async function signIn(page: Page, user: { email: string; password: string }) {
  await page.getByLabel('Email or user name').fill(user.email)
  await page.getByLabel('Password', { exact: true }).fill(user.password)
  await submit(page, 'Sign in')
}

/** On the consent page: unticks the given scopes, picks the patient if asked, and allows. */
export async function allow(page: Page, options: { untick?: string[]; patientId?: string } = {}) {
  await page.getByRole('button', { name: 'Allow' }).waitFor({ timeout: STEP_TIMEOUT })
  for (const scope of options.untick ?? []) {
    await page.locator(`input[type="checkbox"][name="scope"][value="${scope}"]`).uncheck()
  }
  const picker = page.locator(`input[type="radio"][name="patient"]`)
  if (options.patientId && (await picker.count()) > 0) {
    await picker.and(page.locator(`[value="${options.patientId}"]`)).check()
  }
  await submit(page, 'Allow')
}

/** Presses a form's button and waits until the browser has left the page (the 303 is followed). */
async function submit(page: Page, button: string) {
  const before = page.url()
  await page.getByRole('button', { name: button }).click()
  await page.waitForURL((url) => url.href !== before, { timeout: STEP_TIMEOUT })
}

/** What the app shows once it has its token, or the error it shows. */
export interface AppView {
  patientName: string
  hba1c: string[]
  scope: string
  fhirUser: string
  refreshToken: string
}

/** Waits for the app (index.html) to finish; throws with the app's visible error if it failed. */
export async function readApp(page: Page): Promise<AppView> {
  const done = page.locator('main[data-state="ready"], main[data-state="error"]')
  await done.waitFor({ timeout: STEP_TIMEOUT })
  if ((await done.getAttribute('data-state')) === 'error') {
    throw new Error(`the app shows an error: ${await page.getByRole('alert').textContent()}`)
  }
  // Each fact is a <dt id> and the <dd aria-labelledby> it names (test/e2e/smart-app/app.js).
  const field = async (id: string) =>
    ((await page.locator(`dd[aria-labelledby="${id}"]`).textContent()) ?? '').trim()
  return {
    patientName: ((await page.getByRole('heading', { level: 2 }).textContent()) ?? '').trim(),
    hba1c: (
      await page
        .getByRole('list', { name: 'HbA1c results' })
        .getByRole('listitem')
        .allTextContents()
    ).map((text) => text.trim()),
    scope: await field('scope'),
    fhirUser: await field('fhir-user'),
    refreshToken: await field('refresh'),
  }
}

// Test helpers for SMART App Launch (docs/smart-app-launch.md): registering an app, a person and an
// allow policy, and driving the authorization endpoint as a browser would (cookies kept per browser,
// forms posted with our Origin), down to the code and the token exchange.

import { expect } from 'vitest'
import { SELF } from 'cloudflare:test'
import { allowClient, call, json, registerClient, ROOT, uniqueId } from './helpers.ts'
import { BASE, clientSecretBasic, ISSUER, tokenRequest } from './oauth-helpers.ts'
import { freshUser } from './user-helpers.ts'
import { toBase64Url } from '../../src/lib/crypto.ts'

export const REDIRECT = 'https://app.example/callback'
export const LAUNCH_URI = 'https://app.example/launch'

export interface App {
  id: string
  secret: string
}

/** An app's Client (authorization_code + refresh_token, `fields` on top) with an allow policy. */
export async function registerApp(fields: Record<string, unknown> = {}): Promise<App> {
  const id = uniqueId('app')
  const secret = `s3cret-${crypto.randomUUID()}`
  await registerClient(id, secret, {
    grant_types: ['authorization_code', 'refresh_token'],
    scope: [
      'openid',
      'fhirUser',
      'launch',
      'launch/patient',
      'offline_access',
      'online_access',
      'patient/*.rs',
      'user/*.rs',
    ],
    smart: { launch_uri: LAUNCH_URI },
    auth: { authorization_code: { redirect_uri: REDIRECT } },
    ...fields,
  })
  await allowClient(id)
  return { id, secret }
}

/** A Patient stored through the API; its id. */
export async function storePatient(family = 'Smith', given = 'Ann'): Promise<string> {
  const id = uniqueId('pat')
  const res = await call('PUT', `/fhir/Patient/${id}`, {
    auth: ROOT,
    body: {
      resourceType: 'Patient',
      id,
      name: [{ family, given: [given] }],
      birthDate: '1970-01-01',
    },
  })
  expect(res.status).toBe(201)
  return id
}

/** A person who logs in: a User whose fhirUser is `fhirUser` (a patient's own record by default). */
export async function person(fhirUser?: string) {
  return freshUser(fhirUser ? { fhirUser: { reference: fhirUser } } : {})
}

/** A PKCE pair (RFC 7636 §4.1, §4.2): a 64-character verifier and its S256 challenge. */
export async function pkce(): Promise<{ verifier: string; challenge: string }> {
  const verifier = toBase64Url(crypto.getRandomValues(new Uint8Array(48)))
  const digest = new Uint8Array(
    await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))
  )
  return { verifier, challenge: toBase64Url(digest) }
}

/** A browser: its cookies, kept across requests to the Worker. */
export class Browser {
  readonly cookies = new Map<string, string>()
  readonly address = `2001:db8:${crypto.randomUUID().slice(0, 4)}::7`

  async fetch(
    url: string,
    init: {
      method?: string
      form?: Record<string, string | string[]>
      headers?: Record<string, string>
    } = {}
  ) {
    const headers: Record<string, string> = { 'cf-connecting-ip': this.address, ...init.headers }
    if (this.cookies.size) {
      headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
    }
    let body: string | undefined
    if (init.form) {
      const params = new URLSearchParams()
      for (const [name, value] of Object.entries(init.form)) {
        for (const one of Array.isArray(value) ? value : [value]) params.append(name, one)
      }
      body = params.toString()
      headers['content-type'] = 'application/x-www-form-urlencoded'
      headers.origin ??= BASE
    }
    const absolute = url.startsWith('http') ? url : `${BASE}${url}`
    const res = await SELF.fetch(absolute, {
      method: init.method ?? (init.form ? 'POST' : 'GET'),
      headers,
      body,
      redirect: 'manual',
    })
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';')
      const [name, value] = [
        pair!.slice(0, pair!.indexOf('=')),
        pair!.slice(pair!.indexOf('=') + 1),
      ]
      if (/max-age=0/i.test(line)) this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
    return res
  }
}

export interface AuthorizeOptions {
  scope?: string
  state?: string
  aud?: string
  redirectUri?: string
  challenge?: string
  launch?: string
  nonce?: string
  extra?: Record<string, string>
}

/** The query of an authorization request of `app` (everything SMART requires, overridable). */
export function authorizeQuery(
  app: App,
  challenge: string,
  options: AuthorizeOptions = {}
): URLSearchParams {
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: app.id,
    redirect_uri: options.redirectUri ?? REDIRECT,
    scope: options.scope ?? 'launch/patient openid fhirUser offline_access patient/*.rs',
    state: options.state ?? crypto.randomUUID(),
    aud: options.aud ?? ISSUER,
    code_challenge: options.challenge ?? challenge,
    code_challenge_method: 'S256',
    ...(options.launch && { launch: options.launch }),
    ...(options.nonce && { nonce: options.nonce }),
    ...options.extra,
  })
  return params
}

/** The request handle in a login/consent URL. */
export const handleOf = (location: string) => new URL(location).searchParams.get('request')!

export interface Launched {
  code: string
  state: string
  verifier: string
  browser: Browser
  redirect: URL
}

/**
 * Runs a launch as a browser: authorize, log in as `login`, consent (sending the boxes ticked by
 * default less `untick`, plus `tick`, picking `patient` when the page has a picker), and returns the
 * code. Asserts each step.
 */
export async function launch(
  app: App,
  login: { email: string; password: string },
  options: AuthorizeOptions & {
    untick?: string[]
    tick?: string[]
    patient?: string
    browser?: Browser
  } = {}
): Promise<Launched> {
  const { verifier, challenge } = await pkce()
  const browser = options.browser ?? new Browser()
  const query = authorizeQuery(app, challenge, options)
  const state = query.get('state')!
  let res = await browser.fetch(`/auth/authorize?${query}`)
  expect(res.status, await res.clone().text()).toBe(302)
  let location = res.headers.get('location')!
  if (location.startsWith(`${BASE}/auth/login`)) {
    const handle = handleOf(location)
    res = await browser.fetch(location)
    if (res.status === 200) {
      res = await browser.fetch('/auth/login', {
        form: { request: handle, username: login.email, password: login.password },
      })
      expect(res.status, await res.clone().text()).toBe(303)
    }
    location = res.headers.get('location')!
  }
  if (location.startsWith(`${BASE}/auth/consent`)) {
    const handle = handleOf(location)
    res = await browser.fetch(location)
    if (res.status === 200) {
      const page = await res.text()
      const scope = [
        ...tickedScopes(page).filter((s) => !(options.untick ?? []).includes(s)),
        ...(options.tick ?? []),
      ]
      res = await browser.fetch('/auth/consent', {
        form: {
          request: handle,
          decision: 'allow',
          scope,
          ...(options.patient && { patient: options.patient }),
        },
      })
    }
    expect([302, 303]).toContain(res.status)
    location = res.headers.get('location')!
  }
  const redirect = new URL(location)
  expect(redirect.origin + redirect.pathname).toBe(options.redirectUri ?? REDIRECT)
  expect(redirect.searchParams.get('state')).toBe(state)
  const code = redirect.searchParams.get('code')
  expect(code, location).toBeTruthy()
  return { code: code!, state, verifier, browser, redirect }
}

/** The values of the consent page's `scope` checkboxes ticked by default (`checked`). */
export function tickedScopes(page: string): string[] {
  return [...page.matchAll(/<input\b[^>]*>/g)]
    .map(([input]) => input)
    .filter((input) => /\sname="scope"/.test(input) && /\schecked(?=[\s/>])/.test(input))
    .map((input) => decodeHtml(/\svalue="([^"]*)"/.exec(input)![1]!))
}

/** The values of every `scope` checkbox of the consent page, ticked or not. */
export function scopeBoxes(page: string): string[] {
  return [...page.matchAll(/<input\b[^>]*\sname="scope"\s+value="([^"]*)"/g)].map((m) =>
    decodeHtml(m[1]!)
  )
}

const decodeHtml = (text: string) =>
  text
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')

/** POST /auth/token for the code (client_secret_basic, as Inferno sends it). */
export function exchange(
  app: App,
  launched: Pick<Launched, 'code' | 'verifier'>,
  fields: Record<string, string> = {}
) {
  return tokenRequest({
    auth: clientSecretBasic(app.id, app.secret),
    form: {
      grant_type: 'authorization_code',
      code: launched.code,
      redirect_uri: REDIRECT,
      code_verifier: launched.verifier,
      ...fields,
    },
  })
}

/** POST /auth/token with grant_type refresh_token. */
export function refresh(app: App, refreshToken: string, fields: Record<string, string> = {}) {
  return tokenRequest({
    auth: clientSecretBasic(app.id, app.secret),
    form: { grant_type: 'refresh_token', refresh_token: refreshToken, ...fields },
  })
}

/** The token response of a successful exchange. */
export async function tokenBody(res: Response): Promise<Record<string, any>> {
  const text = await res.text()
  expect(res.status, text).toBe(200)
  expect(res.headers.get('cache-control')).toBe('no-store')
  expect(res.headers.get('pragma')).toBe('no-cache')
  return JSON.parse(text)
}

/** POST /auth/launch as root (the EHR): a launch value for `app`. */
export async function ehrLaunch(app: App, context: Record<string, string>) {
  const res = await call('POST', '/auth/launch', {
    auth: ROOT,
    body: { client_id: app.id, ...context },
  })
  expect(res.status, await res.clone().text()).toBe(201)
  return json(res)
}

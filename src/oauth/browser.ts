// The browser side of the authorization endpoint's pages: its two cookies (RFC 6265bis `__Host-`
// prefix: Secure, Path=/, no Domain, so no other host or path can set or read them; HttpOnly;
// SameSite=Lax, so a cross-site POST carries neither), the check that a form was posted by our own
// pages, the form tokens bound to a cookie (the page of allowed apps, which has no pending request
// to carry), and the redirects the flow makes (never cached, no referrer).
//   __Host-edge-fhir-browser  binds pending authorization requests to this browser (pending-requests.ts)
//   __Host-edge-fhir-session  the login session (src/auth/sessions.ts)

import type { Context } from 'hono'
import { getCookie } from 'hono/cookie'
import type { AppEnv } from '../http/env.ts'
import { isRandomValue, randomValue } from '../auth/grant-store.ts'
import { SESSION_LIFETIME } from '../auth/sessions.ts'
import { sha256, stringsEqual, toBase64Url } from '../lib/crypto.ts'

const BROWSER = 'edge-fhir-browser'
const SESSION = 'edge-fhir-session'
/** The browser cookie outlives any pending request; a year. */
const BROWSER_LIFETIME = 365 * 24 * 3600

const cookie = (name: string, value: string, maxAge: number) =>
  `__Host-${name}=${value}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=${maxAge}`

/** The browser's binding value, and the Set-Cookie that creates it when it has none yet. */
export function browserBinding(c: Context<AppEnv>): { value: string; setCookie?: string } {
  const existing = getCookie(c, BROWSER, 'host')
  if (isRandomValue(existing)) return { value: existing }
  const value = randomValue()
  return { value, setCookie: cookie(BROWSER, value, BROWSER_LIFETIME) }
}

/** The browser's binding value as sent (no new one). */
export const browserValue = (c: Context<AppEnv>) => getCookie(c, BROWSER, 'host')

/** The session cookie value as sent. */
export const sessionValue = (c: Context<AppEnv>) => getCookie(c, SESSION, 'host')

/** The Set-Cookie of a new session value, and the one that clears it. */
export const sessionCookie = (value: string) => cookie(SESSION, value, SESSION_LIFETIME)
export const clearSessionCookie = () => cookie(SESSION, '', 0)

/**
 * Whether a form POST came from a page of this origin. Browsers say so in Sec-Fetch-Site; without it
 * (older browsers), an Origin header must name this origin. Our pages send no referrer, and then
 * Chrome sends `Origin: null`, so Sec-Fetch-Site is what decides. A cross-site request forgery also
 * lacks the browser binding (pending-requests.ts), so this is a second line.
 */
export function postedHere(c: Context<AppEnv>, origins: readonly string[]): boolean {
  const site = c.req.header('sec-fetch-site')
  if (site !== undefined) return site === 'same-origin'
  const origin = c.req.header('origin')
  return origin === undefined || origins.includes(origin)
}

/** The forms a token is made for (so the token of one form is not the token of another). */
type FormPurpose = 'grants-login' | 'grants-revoke'

/**
 * The hidden token of a form bound to the cookie value `value` (the browser cookie for a login, the
 * session cookie once logged in): base64url of SHA-256(purpose, NUL, value), 22 characters (132 bits).
 * A cross-site page cannot read the HttpOnly cookie nor our page, so it cannot send the token; D1
 * keeps only SHA-256(value), from which the token cannot be computed. No key to manage or rotate.
 */
export async function formToken(value: string, purpose: FormPurpose): Promise<string> {
  return toBase64Url(await sha256(`${purpose}\0${value}`)).slice(0, 22)
}

/** Whether `sent` is the form token of cookie value `value` (constant time); false without either. */
export async function formTokenMatches(
  value: string | undefined,
  purpose: FormPurpose,
  sent: string | null | undefined
): Promise<boolean> {
  if (!isRandomValue(value) || typeof sent !== 'string') return false
  return stringsEqual(sent, await formToken(value, purpose))
}

/** A redirect in the flow: `status` (302 after a GET, 303 after a POST), never cached. */
export function flowRedirect(location: string, status: 302 | 303, cookies: readonly string[] = []) {
  const headers = new Headers({
    location,
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
  })
  for (const value of cookies) headers.append('set-cookie', value)
  return new Response(null, { status, headers })
}

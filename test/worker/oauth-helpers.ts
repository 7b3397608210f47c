// Test helpers for the token service (src/oauth/): requests to its endpoints as a client would send
// them (form or JSON bodies, client_secret_basic with RFC 6749 Appendix B encoding), Clients
// registered with secrets or with keys, private_key_jwt assertions signed with jose, and the log
// lines a request writes. Every request gets its own address unless told one, so the per-address
// limit of authentication attempts never couples tests.

import { SELF } from 'cloudflare:test'
import { expect, vi } from 'vitest'
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose'
import { allowClient, call, registerClient, ROOT, uniqueId } from './helpers.ts'

export const BASE = 'https://fhir.test'
/** The issuer (and access token audience): the FHIR base. */
export const ISSUER = `${BASE}/fhir`
export const TOKEN_URL = `${BASE}/auth/token`
export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

/** RFC 6749 Appendix B: application/x-www-form-urlencoded encoding of one name or value. */
export function formEncode(value: string): string {
  return encodeURIComponent(value)
    .replace(/[!'()*~]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+')
}

/** Base64 of UTF-8 text. */
export function base64(text: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(text)))
}

/** client_secret_basic: `Basic base64(urlenc(id) ":" urlenc(secret))` (RFC 6749 §2.3.1). */
export function clientSecretBasic(id: string, secret: string): string {
  return `Basic ${base64(`${formEncode(id)}:${formEncode(secret)}`)}`
}

/** A form body from name-value pairs (a pair list may repeat a name). */
export function form(params: Record<string, string> | [string, string][]): string {
  const pairs = Array.isArray(params) ? params : Object.entries(params)
  return pairs.map(([name, value]) => `${formEncode(name)}=${formEncode(value)}`).join('&')
}

/** A documentation-prefix address (RFC 3849) no other request uses. */
export function freshAddress(): string {
  const group = () => crypto.randomUUID().slice(0, 4)
  return `2001:db8:${group()}:${group()}::1`
}

export interface PostOptions {
  /** A form body (pairs, or text as is). */
  form?: Record<string, string> | [string, string][] | string
  /** A JSON body (an object, or text as is). */
  json?: unknown
  /** A body as is, with this content type (none when absent). */
  raw?: { body: string | Uint8Array; contentType?: string }
  auth?: string
  headers?: Record<string, string>
  address?: string
  method?: string
  /** Query string to append to the path, with its `?`. */
  query?: string
}

/** A request to the Worker (SELF runs in this isolate, so its caches and console are the test's). */
export function oauthCall(path: string, options: PostOptions = {}): Promise<Response> {
  return SELF.fetch(`${BASE}${path}${options.query ?? ''}`, init(options))
}

function init(options: PostOptions): RequestInit {
  const headers: Record<string, string> = { 'cf-connecting-ip': options.address ?? freshAddress() }
  let body: string | Uint8Array | undefined
  if (options.raw !== undefined) {
    body = options.raw.body
    if (options.raw.contentType) headers['content-type'] = options.raw.contentType
  } else if (options.form !== undefined) {
    body = typeof options.form === 'string' ? options.form : form(options.form)
    headers['content-type'] = 'application/x-www-form-urlencoded'
  } else if (options.json !== undefined) {
    body = typeof options.json === 'string' ? options.json : JSON.stringify(options.json)
    headers['content-type'] = 'application/json'
  }
  if (options.auth !== undefined) headers.authorization = options.auth
  return { method: options.method ?? 'POST', headers: { ...headers, ...options.headers }, body }
}

/** POST /auth/token. */
export const tokenRequest = (options: PostOptions) => oauthCall('/auth/token', options)

/** A Client with a secret and the client_credentials grant (plus `fields`); an allow policy if asked. */
export async function secretClient(
  fields: Record<string, unknown> = {},
  options: { allow?: boolean; secret?: string; prefix?: string } = {}
): Promise<{ id: string; secret: string }> {
  const id = uniqueId(options.prefix ?? 'cc')
  const secret = options.secret ?? `s3cret-${crypto.randomUUID()}`
  await registerClient(id, secret, { grant_types: ['client_credentials'], ...fields })
  if (options.allow) await allowClient(id)
  return { id, secret }
}

export type AssertionAlg = 'RS384' | 'ES384'

/** A key pair for `alg`, and its public JWK as a Client registers it (kid, alg, use). */
export async function keyPair(
  alg: AssertionAlg = 'RS384'
): Promise<{ privateKey: CryptoKey; publicJwk: JWK; kid: string }> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  const kid = crypto.randomUUID()
  return { privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }, kid }
}

/** A Client that authenticates with private_key_jwt: its id and the key it signs with. */
export async function keyClient(
  alg: AssertionAlg = 'RS384',
  fields: Record<string, unknown> = {},
  options: { allow?: boolean } = {}
): Promise<{ id: string; privateKey: CryptoKey; kid: string; alg: AssertionAlg }> {
  const id = uniqueId('pkj')
  const { privateKey, publicJwk, kid } = await keyPair(alg)
  const res = await oauthAdminPut(id, {
    grant_types: ['client_credentials'],
    jwks: { keys: [publicJwk] },
    ...fields,
  })
  expect(res.status, await res.clone().text()).toBe(201)
  if (options.allow) await allowClient(id)
  return { id, privateKey, kid, alg }
}

/** PUT /Client/:id as root, without a secret unless `fields` has one. */
export function oauthAdminPut(id: string, fields: Record<string, unknown>): Promise<Response> {
  return call('PUT', `/Client/${id}`, { auth: ROOT, body: { id, ...fields } })
}

export interface AssertionOptions {
  alg?: string
  kid?: string
  /** Claims to add or replace; `undefined` removes one. */
  claims?: Record<string, unknown>
  /** Seconds from now. */
  expiresIn?: number
}

/** A client assertion (RFC 7523 §3) from `client`, for the token endpoint unless claims say otherwise. */
export async function assertion(
  client: { id: string; privateKey: CryptoKey; kid: string; alg: AssertionAlg },
  options: AssertionOptions = {}
): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  const claims: Record<string, unknown> = {
    iss: client.id,
    sub: client.id,
    aud: TOKEN_URL,
    jti: crypto.randomUUID(),
    iat: now,
    exp: now + (options.expiresIn ?? 60),
    ...options.claims,
  }
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name]
  return new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? client.alg, kid: options.kid ?? client.kid })
    .sign(client.privateKey)
}

/** The form fields of private_key_jwt authentication with `jwt`. */
export const assertionFields = (jwt: string) => ({
  client_assertion_type: JWT_BEARER,
  client_assertion: jwt,
})

/** An unsigned JWT (`alg: none`) with `claims`. */
export function unsignedJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) =>
    base64(JSON.stringify(value)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')
  return `${part({ alg: 'none' })}.${part(claims)}.`
}

/** Everything written to the console while `run` runs, one entry per call. */
export async function captureLogs<T>(
  run: () => Promise<T>
): Promise<{ result: T; lines: string[] }> {
  const lines: string[] = []
  const spies = (['log', 'warn', 'error', 'info', 'debug'] as const).map((level) =>
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(' '))
    })
  )
  try {
    return { result: await run(), lines }
  } finally {
    for (const spy of spies) spy.mockRestore()
  }
}

/** The structured audit lines (event oauth.*) among log lines. */
export function auditLines(lines: string[]): Record<string, unknown>[] {
  return lines
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => typeof line.event === 'string' && line.event.startsWith('oauth.'))
}

/** Asserts an RFC 6749 §5.2 error answer, with the no-store headers every answer carries. */
export async function expectOAuthError(
  res: Response,
  status: number,
  error: string
): Promise<Record<string, unknown>> {
  const text = await res.text()
  expect(res.status, text).toBe(status)
  expect(res.headers.get('content-type')).toMatch(/^application\/json/)
  expect(res.headers.get('cache-control')).toBe('no-store')
  expect(res.headers.get('pragma')).toBe('no-cache')
  const body = JSON.parse(text) as Record<string, unknown>
  expect(body.error, text).toBe(error)
  expect(typeof body.error_description).toBe('string')
  return body
}

/** Asserts a token answer (RFC 6749 §5.1) and returns it. */
export async function expectToken(res: Response): Promise<{
  access_token: string
  token_type: string
  expires_in: number
  scope: string
}> {
  const text = await res.text()
  expect(res.status, text).toBe(200)
  expect(res.headers.get('cache-control')).toBe('no-store')
  expect(res.headers.get('pragma')).toBe('no-cache')
  const body = JSON.parse(text)
  expect(body.token_type).toBe('Bearer')
  expect(typeof body.access_token).toBe('string')
  expect(typeof body.expires_in).toBe('number')
  expect(typeof body.scope).toBe('string')
  return body
}

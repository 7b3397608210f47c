// Test helpers: requests to the Worker under test (SELF), Basic credentials and bearer tokens, and admin
// set-up calls.

import { createExecutionContext, env, SELF, waitOnExecutionContext } from 'cloudflare:test'
import { expect } from 'vitest'
import worker from '../../src/index.ts'
import { issueAccessToken } from '../../src/auth/tokens.ts'
import { requestLog } from '../../src/lib/log.ts'

const ROOT_ID = 'root'
const ROOT_SECRET = 'test-root-secret'

/** `Basic base64(id:secret)` with UTF-8 bytes, as RFC 7617 §2.1 with charset UTF-8. */
export function basic(id: string, secret: string): string {
  const bytes = new TextEncoder().encode(`${id}:${secret}`)
  return `Basic ${btoa(String.fromCharCode(...bytes))}`
}

export const ROOT = basic(ROOT_ID, ROOT_SECRET)

/** A fresh id, so tests never share state through KV, D1 or the isolate caches. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`
}

export interface CallOptions {
  auth?: string
  body?: unknown
  headers?: Record<string, string>
}

/**
 * The address this test file's requests come from (CF-Connecting-IP), so files do not share one
 * bucket of the per-address authentication limit. Made on first use: Workers forbid randomness at
 * global scope.
 */
let address: string | undefined
const fileAddress = () =>
  (address ??= `2001:db8:${crypto.randomUUID().slice(0, 4)}:${crypto.randomUUID().slice(0, 4)}::1`)

export function call(method: string, path: string, options: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { 'cf-connecting-ip': fileAddress(), ...options.headers }
  if (options.auth) headers.authorization = options.auth
  let body: string | undefined
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body)
    headers['content-type'] ??= 'application/json'
  }
  return SELF.fetch(`https://fhir.test${path}`, { method, headers, body })
}

export async function json<T = Record<string, any>>(response: Response): Promise<T> {
  return (await response.json()) as T
}

/** Registers a Client with `secret` through the admin API (as root). */
export async function registerClient(
  id: string,
  secret: string,
  fields: Record<string, unknown> = { grant_types: ['basic'] }
): Promise<Response> {
  const res = await call('PUT', `/Client/${id}`, { auth: ROOT, body: { id, secret, ...fields } })
  if (res.status !== 201 && res.status !== 200)
    throw new Error(`registerClient: ${res.status} ${await res.text()}`)
  return res
}

/** Creates an `allow` AccessPolicy linked to Client `clientId`. */
export async function allowClient(clientId: string, policyId = `${clientId}-allow`): Promise<void> {
  const res = await call('PUT', `/AccessPolicy/${policyId}`, {
    auth: ROOT,
    body: { engine: 'allow', link: [{ resourceType: 'Client', id: clientId }] },
  })
  if (res.status !== 201 && res.status !== 200)
    throw new Error(`allowClient: ${res.status} ${await res.text()}`)
}

/** A client with `basic` and an allow policy; returns its Authorization header. */
export async function allowedClient(prefix = 'client'): Promise<{ id: string; auth: string }> {
  const id = uniqueId(prefix)
  const secret = `s3cret-${crypto.randomUUID()}`
  await registerClient(id, secret)
  await allowClient(id)
  return { id, auth: basic(id, secret) }
}

/** The log a test passes where the server would pass a request's log. */
export const testLog = requestLog('test-request-0000')

/**
 * An access token issued to `clientId` with `scope`, through the token service's own issuing code
 * (src/auth/tokens.ts), as `Authorization: Bearer ...`. The token endpoint's tests go through HTTP.
 */
export async function bearerFor(
  clientId: string,
  scope: string,
  format: 'jwt' | 'opaque' = 'jwt',
  lifetime = 300,
  bound: { user?: string; context?: { patient?: string; encounter?: string } } = {}
): Promise<{ auth: string; token: string; jti: string }> {
  const issued = await issueAccessToken(env, {
    clientId,
    scope,
    format,
    lifetime,
    issuer: 'https://fhir.test/fhir',
    ...bound,
  })
  return { auth: `Bearer ${issued.accessToken}`, token: issued.accessToken, jti: issued.jti }
}

/**
 * The D1 round trips one request makes (each first/all/run/raw or batch that reaches the binding),
 * through the Worker's own fetch with a counting binding; asserts a 200. A GET unless `write` gives
 * a method and JSON body.
 */
export async function roundTrips(
  path: string,
  authorization: string,
  write?: { method: string; body: unknown }
): Promise<number> {
  let trips = 0
  const count = <T>(p: Promise<T>) => {
    trips++
    return p
  }
  const wrap = (statement: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(statement, {
      get(target, prop) {
        if (prop === 'bind') return (...v: unknown[]) => wrap(target.bind(...v))
        if (prop === 'first' || prop === 'all' || prop === 'run' || prop === 'raw')
          return (...a: unknown[]) =>
            count((target[prop] as (...x: unknown[]) => Promise<unknown>)(...a))
        const value = Reflect.get(target, prop) as unknown
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
  const db = new Proxy(env.DB, {
    get(target, prop) {
      if (prop === 'prepare') return (sql: string) => wrap(target.prepare(sql))
      if (prop === 'batch')
        return (statements: D1PreparedStatement[]) => count(target.batch(statements))
      const value = Reflect.get(target, prop) as unknown
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  const ctx = createExecutionContext()
  const res = await worker.fetch(
    new Request(`https://fhir.test${path}`, {
      method: write?.method ?? 'GET',
      headers: {
        authorization,
        'cf-connecting-ip': '2001:db8:5c0::1',
        ...(write && { 'content-type': 'application/json' }),
      },
      body: write && JSON.stringify(write.body),
    }),
    { ...env, DB: db },
    ctx
  )
  await waitOnExecutionContext(ctx)
  expect(res.status, await res.clone().text()).toBe(200)
  await res.arrayBuffer()
  return trips
}

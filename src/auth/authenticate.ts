// Authentication of every request: root client (Worker secrets), KV Clients over HTTP Basic, or anonymous.
// Secrets are verified with PBKDF2 and constant-time comparison; a per-isolate cache of verified
// (client, secret digest) pairs keeps the warm path to one SHA-256. Wrong credentials never fall back
// to anonymous access.

import type { MiddlewareHandler } from 'hono'
import { digestsEqual, randomBytes, sha256, stringsEqual } from '../lib/crypto.ts'
import { parseSecretHash, verifySecret } from '../lib/secrets.ts'
import { FhirError } from '../errors/outcome.ts'
import { parseAuthorization } from './basic.ts'
import { isId } from '../lib/ids.ts'
import type { Principal } from '../config/principal.ts'
import type { Log } from '../lib/log.ts'
import { cacheTtlMs, getClient, type StoredClient } from '../config/store.ts'
import type { AppEnv } from '../http/env.ts'

const REALM = 'edge-fhir'

export function unauthorized(diagnostics: string): FhirError {
  return new FhirError(
    401,
    { severity: 'error', code: 'login', diagnostics },
    { 'WWW-Authenticate': `Basic realm="${REALM}", charset="UTF-8"` }
  )
}

/** Middleware: sets `principal`, or answers 401 before any handler (or D1 query) runs. */
export function authentication(): MiddlewareHandler<AppEnv> {
  return async function authenticate(c, next) {
    c.set('principal', await identify(c.env, c.req.header('authorization'), c.get('log')))
    await next()
  }
}

async function identify(env: Env, header: string | undefined, log: Log): Promise<Principal> {
  const credentials = parseAuthorization(header)
  switch (credentials.kind) {
    case 'none':
      return { kind: 'anonymous' }
    case 'invalid':
      throw unauthorized(`Invalid credentials: ${credentials.reason}`)
    case 'bearer':
      throw unauthorized('Bearer tokens are not accepted yet: use HTTP Basic client credentials')
    case 'basic':
      return authenticateBasic(env, credentials.id, credentials.secret, log)
  }
}

async function authenticateBasic(
  env: Env,
  id: string,
  secret: string,
  log: Log
): Promise<Principal> {
  const rootId = env.ROOT_CLIENT_ID
  if (rootId && env.ROOT_CLIENT_SECRET && id === rootId) {
    if (await stringsEqual(secret, env.ROOT_CLIENT_SECRET)) return { kind: 'root', id }
    // Same PBKDF2 work as a wrong secret for a KV client, so timing does not reveal the root id.
    await verifySecret(secret, null)
    throw unauthorized('Invalid client credentials')
  }
  if (!isId(id)) throw unauthorized('Invalid client credentials')
  const client = await getClient(env, id, { log })
  if (!(await clientSecretMatches(env, client, id, secret, log)) || !client) {
    throw unauthorized('Invalid client credentials')
  }
  if (client.active === false) throw unauthorized('Client is not active')
  if (!client.grant_types?.includes('basic')) {
    throw unauthorized(
      'Client is not allowed to use HTTP Basic authentication (grant_types lacks "basic")'
    )
  }
  return { kind: 'client', id, client }
}

// Per-isolate: client id -> the stored hash it was verified against, and a peppered digest of the
// secret that matched it. The pepper never leaves this isolate.
const verified = new Map<string, { hash: string; digest: Uint8Array; expires: number }>()
let pepper: Uint8Array | undefined // made on first use: Workers forbid randomness at global scope
const MAX_VERIFIED = 10_000

async function pepperedDigest(secret: string): Promise<Uint8Array> {
  pepper ??= randomBytes(32)
  const text = new TextEncoder().encode(secret)
  const input = new Uint8Array(pepper.byteLength + text.byteLength)
  input.set(pepper)
  input.set(text, pepper.byteLength)
  return sha256(input)
}

async function clientSecretMatches(
  env: Env,
  client: StoredClient | null,
  id: string,
  secret: string,
  log: Log
): Promise<boolean> {
  const stored = typeof client?.secret === 'string' ? client.secret : undefined
  const digest = await pepperedDigest(secret)
  const hit = verified.get(id)
  if (
    stored &&
    hit &&
    hit.hash === stored &&
    hit.expires > Date.now() &&
    digestsEqual(hit.digest, digest)
  ) {
    return true
  }
  const parsed = stored ? parseSecretHash(stored) : null
  if (stored && !parsed) {
    log.warn(
      'refusing Client whose secret is not in the stored hash form (see `npm run hash-secret`)',
      { client: id }
    )
  }
  // Unknown client, client without a secret, or a plain-text secret: same PBKDF2 work, answer false.
  const ok = await verifySecret(secret, parsed)
  if (ok && stored) {
    if (verified.size >= MAX_VERIFIED) verified.delete(verified.keys().next().value!)
    verified.set(id, { hash: stored, digest, expires: Date.now() + cacheTtlMs(env) })
  }
  return ok
}

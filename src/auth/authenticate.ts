// Authentication of every request: root client (Worker secrets), KV Clients over HTTP Basic, or anonymous.
// Secrets are verified with PBKDF2 and constant-time comparison; a per-isolate cache of verified
// (client, secret digest) pairs keeps the warm path to one SHA-256. Every failure of a client id gets
// one answer (status, headers, body) and the same work, whether the id is unknown, the Client is
// disabled or may not use Basic, or the secret is wrong. Wrong credentials never fall back to anonymous.

import type { MiddlewareHandler } from 'hono'
import { FhirError } from '../errors/outcome.ts'
import { parseAuthorization } from './basic.ts'
import { isId } from '../lib/ids.ts'
import type { Principal } from '../config/principal.ts'
import type { Log } from '../lib/log.ts'
import { cacheTtlMs } from '../config/store.ts'
import type { AppEnv } from '../http/env.ts'
import { resolveSubject, verifyNobody } from './subject.ts'
import { pepperedDigest, rememberVerified, wasVerified } from './verified.ts'

const REALM = 'edge-fhir'

export function unauthorized(diagnostics: string): FhirError {
  return new FhirError(
    401,
    { severity: 'error', code: 'login', diagnostics },
    { 'WWW-Authenticate': `Basic realm="${REALM}", charset="UTF-8"` }
  )
}

/** The one answer to every failed authentication of a client id. */
const invalidCredentials = () => unauthorized('Invalid client credentials')

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
  if (!isId(id) && id !== env.ROOT_CLIENT_ID) throw invalidCredentials()
  const subject = await resolveSubject(env, id, log)
  const digest = await pepperedDigest(secret)
  if (subject && wasVerified(id, subject.stamp, digest)) return subject.principal
  const ok = subject ? await subject.verify(secret) : await verifyNobody(secret)
  if (!ok || !subject) throw invalidCredentials()
  rememberVerified(id, subject.stamp, digest, cacheTtlMs(env))
  return subject.principal
}

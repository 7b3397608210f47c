// Authentication of every request: root client (Worker secrets), KV Clients over HTTP Basic or with a
// bearer token the token service issued them (RFC 6750), or anonymous. A token acting for a User
// (`sub` other than its client) also loads that User (docs/users.md).
// Secrets are verified with PBKDF2 and constant-time comparison; a per-isolate cache of verified
// (client, secret digest) pairs keeps the warm path to one SHA-256 and no limit. Any other attempt
// first spends a unit of the client id's and the address's limits (throttle.ts), so a limited attempt
// is answered 429 before the secret is looked at. Every failure of a client id gets one answer (status,
// headers, body) and the same work, whether the id is unknown, the Client is disabled or may not use
// Basic, or the secret is wrong. Wrong credentials never fall back to anonymous.
// A bearer request runs with env.DB wrapped by the token guard (token-guard.ts): its revocation check
// rides in the request's own D1 round trips, and a token found revoked answers 401 whatever ran.

import type { MiddlewareHandler } from 'hono'
import { invalidToken, malformedBearer, tooManyAttempts, unauthorized } from './challenges.ts'
import { toBase64Url } from '../lib/crypto.ts'
import { isId } from '../lib/ids.ts'
import type { Log } from '../lib/log.ts'
import type { Principal, TokenGrant } from '../config/principal.ts'
import { cacheTtlMs, getClient, getUser, type StoredUser } from '../config/store.ts'
import type { AppEnv } from '../http/env.ts'
import { baseUrl } from '../http/base-url.ts'
import { oauthUrls } from '../http/oauth-urls.ts'
import { addressKey } from './address.ts'
import { parseAuthorization } from './basic.ts'
import { resolveSubject, verifyNobody, type Subject } from './subject.ts'
import { knownRefusal, spend, type Attempt } from './throttle.ts'
import { pepperedDigest, rememberVerified, verifiedStamp } from './verified.ts'
import { checkAccessToken } from './tokens.ts'
import { tokenGuard } from './token-guard.ts'

/** The one answer to every failed authentication of a client id. */
const invalidCredentials = () => unauthorized('Invalid client credentials')

/** Middleware: sets `principal`, or answers 401 (or 429) before any handler (or D1 query) runs. */
export function authentication(): MiddlewareHandler<AppEnv> {
  return async function authenticate(c, next) {
    const credentials = parseAuthorization(c.req.header('authorization'))
    let principal: Principal
    switch (credentials.kind) {
      case 'none':
        principal = { kind: 'anonymous' }
        break
      case 'invalid':
        throw unauthorized(`Invalid credentials: ${credentials.reason}`)
      case 'invalid-bearer':
        throw malformedBearer()
      case 'bearer': {
        const client = await authenticateBearer(
          c.env,
          credentials.token,
          oauthUrls(baseUrl(c)).issuer,
          c.get('log')
        )
        const guard = tokenGuard(c.env.DB, client.token!.jti)
        c.env = { ...c.env, DB: guard.db }
        c.set('principal', client)
        await next()
        // After the answer is made: a token found revoked in any round trip, or in the one check
        // a request without D1 calls gets, replaces whatever the request answered.
        if (!(await guard.isLive())) throw invalidToken()
        return
      }
      case 'basic': {
        const attempt = {
          id: credentials.id,
          address: addressKey(c.req.header('cf-connecting-ip')),
        }
        principal = await authenticateBasic(c.env, attempt, credentials.secret, c.get('log'))
      }
    }
    c.set('principal', principal)
    await next()
  }
}

/**
 * The Client a bearer token was issued to, with the token's grant and the User it acts for (if any);
 * 401 invalid_token otherwise.
 */
async function authenticateBearer(
  env: Env,
  token: string,
  issuer: string,
  log: Log
): Promise<Extract<Principal, { kind: 'client' }>> {
  const grant = await checkAccessToken(env, token, issuer)
  const id = grant?.clientId
  if (!grant || id === undefined || !isId(id)) throw invalidToken()
  const client = await getClient(env, id, { log })
  // A Client disabled or deleted since stops its tokens at once (within the store's cache TTL).
  if (!client || client.active === false) throw invalidToken()
  if (grant.user === undefined) return { kind: 'client', id, client, token: grant }
  // A token acting for a User (authorization code grant) needs that User, active, and no younger
  // than the token: a User deleted and created again with its id does not inherit its tokens.
  const user = isId(grant.user) ? await getUser(env, grant.user, { log }) : null
  if (!user || user.active === false || issuedBefore(grant, user)) throw invalidToken()
  return { kind: 'client', id, client, token: grant, user }
}

/** Whether the token was issued (its `iat`, whole seconds) before the User was created. */
function issuedBefore(grant: TokenGrant, user: StoredUser): boolean {
  const created = Date.parse(String(user.meta?.created ?? ''))
  const iat = grant.claims.iat
  return Number.isFinite(created) && typeof iat === 'number' && iat < Math.floor(created / 1000)
}

async function authenticateBasic(
  env: Env,
  attempt: Attempt,
  secret: string,
  log: Log
): Promise<Principal> {
  const { id } = attempt
  const refused = knownRefusal(attempt)
  if (refused !== null) throw tooManyAttempts(refused)
  if (!isId(id) && id !== env.ROOT_CLIENT_ID) throw invalidCredentials()
  const digest = await pepperedDigest(secret)
  const stamp = verifiedStamp(id, digest)
  if (stamp !== undefined) {
    const subject = await resolveSubject(env, id, log)
    if (subject?.stamp === stamp) return subject.principal
  }
  const subject = await once(`${attempt.address}\n${id}\n${toBase64Url(digest)}`, async () => {
    const limited = await spend(env, attempt, log)
    if (limited !== null) throw tooManyAttempts(limited)
    const subject = await resolveSubject(env, id, log)
    const ok = subject ? await subject.verify(secret) : await verifyNobody(secret)
    return ok ? subject : null
  })
  if (!subject) throw invalidCredentials()
  rememberVerified(id, subject.stamp, digest, cacheTtlMs(env))
  return subject.principal
}

// Attempts in flight, by address, client id and secret digest: a burst of identical first requests
// (a client starting up) spends one unit of the limits and one PBKDF2, not one per request.
const inFlight = new Map<string, Promise<Subject | null>>()

function once(key: string, check: () => Promise<Subject | null>): Promise<Subject | null> {
  const pending = inFlight.get(key)
  if (pending) return pending
  const started = check().finally(() => inFlight.delete(key))
  inFlight.set(key, started)
  return started
}

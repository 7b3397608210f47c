// Limits on authentication attempts (issue 10), with the Workers Rate Limiting bindings of
// wrangler.toml: AUTH_CLIENT_LIMITER keyed by client id (and, for logins, by `user <id or login>`:
// a Client id never contains a space, so the two never share a key), AUTH_ADDRESS_LIMITER keyed by
// address (address.ts). A binding cannot be read without spending a unit, so every attempt that needs a full
// verification spends one of each before it runs, and a refusal is a 429 whatever the secret. This
// isolate remembers a refusal for one period and refuses at once (no binding call, no PBKDF2) every
// attempt on that client id or from that address, secrets it has verified before included.
// Protocol-neutral: a refusal is the seconds to wait; each protocol answers it in its own words (the
// API a FHIR 429 OperationOutcome, the OAuth endpoints a 429 OAuth error), both with Retry-After.

import type { Log } from '../lib/log.ts'

/** simple.period of both bindings in wrangler.toml (checked by test/node/auth-limits-config.test.ts). */
const LIMIT_PERIOD_SECONDS = 10

/** Who is attempting: the client id (or, with `kind: 'user'`, the User id or login) and the address key. */
export interface Attempt {
  id: string
  address: string
  kind?: 'client' | 'user'
}

// Per isolate: 'client <id>' or 'address <key>' -> when this isolate stops refusing it (ms).
const refusing = new Map<string, number>()
const MAX_REFUSING = 10_000

/** The limiter key of the attempt's identity: a client id as it is, a user as `user <id>`. */
const identityKey = (attempt: Attempt) =>
  attempt.kind === 'user' ? `user ${attempt.id}` : attempt.id
const clientKey = (attempt: Attempt) => `client ${identityKey(attempt)}`
const addressEntry = (address: string) => `address ${address}`

/**
 * When this isolate knows the attempt is limited, the seconds until it is not (at least 1, for
 * Retry-After); else null.
 */
export function knownRefusal(attempt: Attempt, now = Date.now()): number | null {
  const until = Math.max(
    current(clientKey(attempt), now),
    current(addressEntry(attempt.address), now)
  )
  return until > now ? retryAfter(Math.ceil((until - now) / 1000)) : null
}

/** Spends one unit of both limits; when either refuses, the seconds to wait (Retry-After), else null. */
export async function spend(env: Env, attempt: Attempt, log: Log): Promise<number | null> {
  const [client, address] = await Promise.all([
    env.AUTH_CLIENT_LIMITER.limit({ key: identityKey(attempt) }),
    env.AUTH_ADDRESS_LIMITER.limit({ key: attempt.address }),
  ])
  if (client.success && address.success) return null
  const until = Date.now() + LIMIT_PERIOD_SECONDS * 1000
  if (!client.success) refuse(clientKey(attempt), until)
  if (!address.success) refuse(addressEntry(attempt.address), until)
  log.warn('authentication attempts limited', {
    [attempt.kind ?? 'client']: attempt.id,
    address: attempt.address,
    limited: [!client.success && 'client', !address.success && 'address'].filter(Boolean),
  })
  return retryAfter(LIMIT_PERIOD_SECONDS)
}

const retryAfter = (seconds: number) => Math.max(1, seconds)

function current(key: string, now: number): number {
  const until = refusing.get(key)
  if (until === undefined) return 0
  if (until <= now) refusing.delete(key)
  return until
}

function refuse(key: string, until: number): void {
  // Entries are added in expiry order, so the first is the one to drop. Dropping one early is
  // safe: the next attempt asks the binding again.
  if (refusing.size >= MAX_REFUSING) refusing.delete(refusing.keys().next().value!)
  refusing.delete(key)
  refusing.set(key, until)
}

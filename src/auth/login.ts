// Verification of a person's login (email or User id, and password), for the login page of the
// authorization code grant (docs/users.md). Every failure is the same answer and the same work: an
// unknown login, a User without a password, a wrong password and an inactive User all run one PBKDF2
// (src/lib/secrets.ts) and answer `{ ok: false }`. Attempts are limited like client authentication
// (throttle.ts): one unit per User (`user <id>`; an unknown login by a digest of its lower-cased text,
// so its text never reaches a log or a limiter key) and one per address, spent before the password is
// looked at; a limited attempt answers `retryAfter` (seconds) whatever the password.

import { sha256, toBase64Url, utf8 } from '../lib/crypto.ts'
import { isId } from '../lib/ids.ts'
import type { Log } from '../lib/log.ts'
import { parseSecretHash, verifySecret } from '../lib/secrets.ts'
import {
  getUser,
  getUserIdByEmail,
  MAX_USER_EMAIL_BYTES,
  type StoredUser,
} from '../config/store.ts'
import { knownRefusal, spend, type Attempt } from './throttle.ts'

export type LoginResult =
  | { ok: true; user: StoredUser }
  | {
      ok: false
      /** Set when the attempt was limited: seconds to wait (Retry-After). */ retryAfter?: number
    }

/**
 * Checks `password` for the User named by `login`: its email (case-insensitive; anything with an
 * "@") or its id. `address` is the limit key of the caller's address (address.ts `addressKey`).
 */
export async function verifyLogin(
  env: Env,
  login: string,
  password: string,
  address: string,
  log: Log
): Promise<LoginResult> {
  const name = login.trim()
  const user = await findUser(env, name, log)
  const attempt: Attempt = { kind: 'user', id: user?.id ?? (await unknownLoginKey(name)), address }
  const retryAfter = knownRefusal(attempt) ?? (await spend(env, attempt, log))
  if (retryAfter !== null) return { ok: false, retryAfter }
  const hash = typeof user?.password === 'string' ? parseSecretHash(user.password) : null
  const matches = await verifySecret(password, hash)
  if (!user || !matches || user.active === false) {
    const reason = !user ? 'unknown login' : !matches ? 'wrong password' : 'inactive user'
    log.info('login refused', { user: user?.id, reason })
    return { ok: false }
  }
  log.info('login verified', { user: user.id })
  return { ok: true, user }
}

/** The User `login` names, or null: by the email index when it has an "@", else by id. */
async function findUser(env: Env, login: string, log: Log): Promise<StoredUser | null> {
  if (login.includes('@')) {
    // No stored email is longer (src/admin/users.ts); a longer key would make KV throw.
    if (utf8(login).length > MAX_USER_EMAIL_BYTES) return null
    const id = await getUserIdByEmail(env, login)
    if (id === null || !isId(id)) return null
    const user = await getUser(env, id, { log })
    // The index is a hint: the User must still have that email.
    const email = user?.email
    return typeof email === 'string' && email.toLowerCase() === login.toLowerCase() ? user : null
  }
  return isId(login) ? getUser(env, login, { log }) : null
}

/** The limit key of a login that names no User: `?` and a digest (never a User id: ids have no `?`). */
async function unknownLoginKey(login: string): Promise<string> {
  return `?${toBase64Url(await sha256(login.toLowerCase())).slice(0, 22)}`
}

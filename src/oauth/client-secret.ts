// Checks a client secret sent with client_secret_basic or client_secret_post, with the same
// safeguards as HTTP Basic on the API (src/auth/authenticate.ts): a secret this isolate has verified
// for the Client's current hash costs one SHA-256 and no limit; any other attempt first spends a unit
// of the client id's and the address's limits (429 when either refuses, before any KV read or PBKDF2),
// then does the PBKDF2 work whether or not the Client exists, may use the method, or has a secret, so
// neither the answer nor its timing tells those cases from a wrong secret.

import { cacheTtlMs, getClient, type StoredClient } from '../config/store.ts'
import type { AuthMethod } from '../config/client-oauth.ts'
import { parseSecretHash, verifySecret } from '../lib/secrets.ts'
import type { Log } from '../lib/log.ts'
import { spend, type Attempt } from '../auth/throttle.ts'
import { pepperedDigest, rememberVerified, verifiedStamp } from '../auth/verified.ts'
import { invalidClient, tooManyAttempts } from './errors.ts'
import { unusableBecause } from './usable-client.ts'

/** The Client `attempt.id` names if `secret` is its secret and it may use `method`; else invalid_client. */
export async function verifyClientSecret(
  env: Env,
  attempt: Attempt,
  secret: string,
  method: AuthMethod,
  log: Log
): Promise<StoredClient> {
  const digest = await pepperedDigest(secret)
  const stamp = verifiedStamp(attempt.id, digest)
  if (stamp !== undefined) {
    const client = await getClient(env, attempt.id, { log })
    if (client?.secret === stamp && !unusableBecause(env, client, method)) return client
  }
  const limited = await spend(env, attempt, log)
  if (limited !== null) throw tooManyAttempts(limited)
  const client = await getClient(env, attempt.id, { log })
  const unusable = client ? unusableBecause(env, client, method) : 'unknown client'
  const hash = unusable ? null : parseSecretHash(client!.secret as string)
  // With a null hash: the same PBKDF2 work against a dummy hash, and false.
  if (!(await verifySecret(secret, hash)) || !client) {
    throw invalidClient(unusable ?? 'wrong secret')
  }
  rememberVerified(attempt.id, client.secret as string, digest, cacheTtlMs(env))
  return client
}

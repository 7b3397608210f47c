// Who a Basic client id names, for authentication: the root client (Worker secrets), a KV Client that
// may use HTTP Basic (active, `basic` in grant_types, secret in the stored hash form), or nobody.
// Nobody covers unknown ids and unusable Clients alike: their secrets are checked against a dummy hash
// with the same PBKDF2 work, so neither the answer nor its timing tells them apart from a wrong secret.

import { stringsEqual, toBase64Url } from '../lib/crypto.ts'
import { parseSecretHash, verifySecret, type ParsedHash } from '../lib/secrets.ts'
import { isId } from '../lib/ids.ts'
import type { Log } from '../lib/log.ts'
import type { Principal } from '../config/principal.ts'
import { getClient, type StoredClient } from '../config/store.ts'
import { pepperedDigest } from './verified.ts'

export interface Subject {
  principal: Exclude<Principal, { kind: 'anonymous' }>
  /** Changes whenever the secret that authenticates the subject does (cached verifications expire). */
  stamp: string
  /** Checks `secret` with the subject's full, uncached work. */
  verify(secret: string): Promise<boolean>
}

/** The subject `id` names, or null (unknown, or a Client that may not use HTTP Basic). */
export async function resolveSubject(env: Env, id: string, log: Log): Promise<Subject | null> {
  // Read for every id, root included, so the root id costs the same KV lookup as any other.
  const client = isId(id) ? await getClient(env, id, { log }) : null
  const rootSecret = env.ROOT_CLIENT_SECRET
  if (env.ROOT_CLIENT_ID && rootSecret && id === env.ROOT_CLIENT_ID) {
    return {
      principal: { kind: 'root', id },
      stamp: `root$${toBase64Url(await pepperedDigest(rootSecret))}`,
      async verify(secret) {
        if (await stringsEqual(secret, rootSecret)) return true
        // Same PBKDF2 work as a wrong secret for a KV client, so timing does not reveal the root id.
        await verifySecret(secret, null)
        return false
      },
    }
  }
  const hash = client && usableHash(client, log)
  if (!client || !hash) return null
  return {
    principal: { kind: 'client', id, client },
    stamp: client.secret!,
    verify: (secret) => verifySecret(secret, hash),
  }
}

/** Checks `secret` against nothing, with the PBKDF2 work of a real check; always false. */
export async function verifyNobody(secret: string): Promise<false> {
  await verifySecret(secret, null)
  return false
}

function usableHash(client: StoredClient, log: Log): ParsedHash | null {
  if (typeof client.secret !== 'string') return null
  const hash = parseSecretHash(client.secret)
  if (!hash) {
    log.warn(
      'refusing Client whose secret is not in the stored hash form (see `npm run hash-secret`)',
      { client: client.id }
    )
    return null
  }
  if (client.active === false || !client.grant_types?.includes('basic')) return null
  return hash
}

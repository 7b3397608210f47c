// Aidbox-compatible Client resources: validation (the token-service fields in client-oauth.ts),
// secret hashing on write, and the public view (which never contains the secret, not even its hash).

import { badRequest } from '../errors/outcome.ts'
import { hashSecret, isSecretHash } from '../lib/secrets.ts'
import type { StoredClient } from '../config/store.ts'
import { checkEnvelope } from './validate.ts'
import { checkAuthMethodCredential, checkOAuthFields } from './client-oauth.ts'

/**
 * Aidbox's grant types; `basic` (HTTP Basic on the API) and `client_credentials` (the token endpoint)
 * have an effect here (docs/aidbox.md#grant-types, docs/oauth.md).
 */
const GRANT_TYPES = [
  'basic',
  'client_credentials',
  'authorization_code',
  'code',
  'password',
  'implicit',
  'refresh_token',
  'urn:ietf:params:oauth:grant-type:token-exchange',
] as const

const MAX_SECRET_LENGTH = 512

/**
 * Builds the Client to store from a PUT body. A body without `secret` keeps the stored one; a secret
 * already in the stored hash form is kept as given (so KV exports restore); any other secret is hashed.
 */
export async function prepareClient(
  id: string,
  body: Record<string, unknown>,
  existing: StoredClient | null
): Promise<StoredClient> {
  checkEnvelope(body, 'Client', id)
  const { secret, grant_types, active } = body
  if (grant_types !== undefined) {
    if (!Array.isArray(grant_types) || grant_types.some((g) => typeof g !== 'string')) {
      throw badRequest('grant_types must be an array of strings', ['grant_types'])
    }
    const unknown = grant_types.filter((g) => !(GRANT_TYPES as readonly string[]).includes(g))
    if (unknown.length) {
      throw badRequest(
        `Unknown grant_types ${JSON.stringify(unknown)}; allowed: ${GRANT_TYPES.join(', ')}`,
        ['grant_types']
      )
    }
  }
  if (active !== undefined && typeof active !== 'boolean') {
    throw badRequest('active must be a boolean', ['active'])
  }
  await checkOAuthFields(body)
  let storedSecret: string | undefined
  if (secret === undefined) {
    storedSecret = existing?.secret
  } else if (typeof secret !== 'string' || secret === '' || secret.length > MAX_SECRET_LENGTH) {
    throw badRequest(
      `secret must be a non-empty string of at most ${MAX_SECRET_LENGTH} characters`,
      ['secret']
    )
  } else {
    storedSecret = isSecretHash(secret) ? secret : await hashSecret(secret)
  }
  const { meta: _meta, secret: _secret, ...fields } = body
  const client: StoredClient = {
    ...fields,
    resourceType: 'Client',
    id,
    meta: { lastUpdated: new Date().toISOString() },
  }
  if (storedSecret !== undefined) client.secret = storedSecret
  checkAuthMethodCredential(client)
  return client
}

/** The Client as answered by the API: everything but the secret. */
export function publicClient(client: StoredClient): Record<string, unknown> {
  const { secret: _secret, ...rest } = client
  return rest
}

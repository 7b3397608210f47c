// Whether a Client may authenticate at the token service with a given method: active, not the root
// client's id (the root client has no tokens; its id only ever names it), the method it registered
// (token_endpoint_auth_method) if any, exactly, and a credential for the method: a secret in the stored hash
// form for client_secret_basic and client_secret_post, public keys (jwks) for private_key_jwt.

import type { StoredClient } from '../config/store.ts'
import { clientJwks, type AuthMethod } from '../config/client-oauth.ts'
import { isSecretHash } from '../lib/secrets.ts'

/** Why `client` may not authenticate with `method` (for the audit line), or null when it may. */
export function unusableBecause(env: Env, client: StoredClient, method: AuthMethod): string | null {
  if (client.active === false) return 'client disabled'
  if (env.ROOT_CLIENT_ID && client.id === env.ROOT_CLIENT_ID) return 'root client id'
  // Any other value than the method used refuses, a value written into KV by hand included.
  const registered = client.token_endpoint_auth_method
  if (registered !== undefined && registered !== method) return 'client registered another method'
  if (method === 'private_key_jwt') return clientJwks(client) ? null : 'client has no jwks'
  return typeof client.secret === 'string' && isSecretHash(client.secret)
    ? null
    : 'client has no usable secret'
}

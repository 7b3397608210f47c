// The scope client_credentials grants (RFC 6749 §3.3, §4.4.2; SMART App Launch 2 scopes): a request
// may ask for any set of system resource scopes each covered by one of the Client's allowed scopes
// (`Client.scope`, wildcards allowed, v1 and v2 alike); a request without `scope` gets the Client's
// system scopes, or `system/*.*` when the Client lists none. client_credentials acts for no patient
// or user, so `patient/` and `user/` scopes and non-resource scopes (`openid`, `launch`, ...) are
// invalid_scope, as is anything malformed or not covered. The granted scope is returned as written.

import type { StoredClient } from '../config/store.ts'
import { clientScopes, DEFAULT_CLIENT_SCOPE } from '../config/client-oauth.ts'
import {
  parseResourceScope,
  scopeCovers,
  splitScope,
  type ResourceScope,
} from '../config/scopes.ts'
import { invalidScope } from './errors.ts'

/** The scope to grant `client` for `requested` (the `scope` parameter, if sent), or invalid_scope. */
export function grantScope(client: StoredClient, requested: string | undefined): string {
  const allowed = (clientScopes(client) ?? [DEFAULT_CLIENT_SCOPE])
    .map(parseResourceScope)
    .filter((scope): scope is ResourceScope => scope?.context === 'system')
  if (requested === undefined) {
    if (!allowed.length) throw invalidScope('The client is allowed no system scopes')
    return [...new Set(allowed.map((scope) => scope.text))].join(' ')
  }
  const tokens = splitScope(requested)
  if (!tokens) throw invalidScope('scope is not a space-separated list of scopes')
  for (const token of tokens) {
    const wanted = parseResourceScope(token)
    if (!wanted) throw invalidScope(`${token} is not a resource scope client_credentials grants`)
    if (wanted.context !== 'system') {
      throw invalidScope(`client_credentials grants only system/ scopes, not ${token}`)
    }
    if (!allowed.some((scope) => scopeCovers(scope, wanted))) {
      throw invalidScope(`${token} is not within the client's allowed scopes`)
    }
  }
  return tokens.join(' ')
}

// Who a request acts for, as authentication establishes it: nobody (anonymous), the root client
// (Worker secrets), or a Client stored in KV, over HTTP Basic or with a bearer token it was issued (a
// token of the authorization code grant also names the User it acts for).
// Policies, handlers and logs read this one type.

import type { ResourceScope } from './scopes.ts'
import type { StoredClient, StoredUser } from './store.ts'

/** An access token a request carries (src/auth/bearer.ts checked it; src/oauth/ issued it). */
export interface TokenGrant {
  /** The token's id: the `jti` of a JWT, the record id of an opaque token. */
  readonly jti: string
  /** The Client it was issued to (`client_id`). */
  readonly clientId: string
  /** The User it acts for (`sub` when it is not the client id): tokens of the authorization code grant. */
  readonly user?: string
  /** Launch context: the Patient (bare id) and Encounter the token is bound to (`patient` scopes). */
  readonly patient?: string
  readonly encounter?: string
  readonly format: 'jwt' | 'opaque'
  /** The granted scope, space-separated, as the token response gave it. */
  readonly scope: string
  /** Its resource scopes, parsed: what the FHIR API lets the token do (both these and policies must allow). */
  readonly scopes: readonly ResourceScope[]
  /** The token's claims (an opaque token has the ones a JWT would carry): `jwt.*` for policies. */
  readonly claims: Readonly<Record<string, unknown>>
  /** Expiry, epoch seconds. */
  readonly exp: number
}

export type Principal =
  | { kind: 'anonymous' }
  | { kind: 'root'; id: string }
  | { kind: 'client'; id: string; client: StoredClient; token?: TokenGrant; user?: StoredUser }

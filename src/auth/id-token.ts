// OpenID Connect id_tokens (OpenID Connect Core 1.0 §2, SMART App Launch "Scopes for requesting
// identity data"): RS256 JWTs signed with the same key as JWT access tokens (the first of
// TOKEN_SIGNING_KEYS, its kid in the header), naming the User (`sub`) to the app (`aud`), with the
// `fhirUser` claim when that scope was granted.

import { SignJWT } from 'jose'
import { signingKeys, TOKEN_ALG } from './signing-keys.ts'
import { SigningKeyMissing } from './tokens.ts'

export interface IdTokenRequest {
  issuer: string
  /** The User's id. */
  user: string
  /** The client id. */
  clientId: string
  /** Seconds the token is valid. */
  lifetime: number
  /** When the person logged in (epoch seconds). */
  authTime: number
  nonce?: string
  /** Absolute URL of the User's FHIR resource. */
  fhirUser?: string
}

/** Signs an id_token; SigningKeyMissing when the deployment has no signing key. */
export async function signIdToken(env: Env, request: IdTokenRequest): Promise<string> {
  const keys = await signingKeys(env)
  if (!keys) throw new SigningKeyMissing()
  const iat = Math.floor(Date.now() / 1000)
  const claims: Record<string, unknown> = {
    iss: request.issuer,
    sub: request.user,
    aud: request.clientId,
    iat,
    exp: iat + request.lifetime,
    auth_time: request.authTime,
  }
  if (request.nonce !== undefined) claims.nonce = request.nonce
  if (request.fhirUser !== undefined) claims.fhirUser = request.fhirUser
  return new SignJWT(claims)
    .setProtectedHeader({ alg: TOKEN_ALG, kid: keys.current.kid, typ: 'JWT' })
    .sign(keys.current.key)
}

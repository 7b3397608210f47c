// The tokens of an authorization grant, for the authorization_code and refresh_token grants (SMART
// App Launch 2 "access token response"): an access token acting for the User, in the Client's format
// and lifetime (auth.authorization_code), bound to the launch context; a refresh token when the grant
// has offline_access or online_access and the Client may hold them; an id_token when openid is
// granted. Everything is recorded in one batch after the grant's own statements (the code or refresh
// token redeemed), so a redemption that lost a race issues nothing.

import type { StoredClient } from '../config/store.ts'
import { codeSettings } from '../config/client-oauth.ts'
import { splitScope } from '../config/scopes.ts'
import {
  randomValue,
  secretHash,
  storeRefreshStatement,
  type GrantData,
} from '../auth/grant-store.ts'
import { signIdToken } from '../auth/id-token.ts'
import { issueAccessToken, SigningKeyMissing } from '../auth/tokens.ts'
import { OAuthError } from './errors.ts'
import { wantsRefresh } from './app-scope.ts'

export interface GrantIssue {
  grantId: string
  grant: GrantData
  /** The scope of this access token: the grant's, or narrower on refresh. */
  scope: string
  /** This server's issuer (the FHIR base) and origin. */
  issuer: string
  origin: string
  /** The grant's statements that run first in the batch (redeeming the code or refresh token). */
  before: readonly D1PreparedStatement[]
  /** Copy the grant's nonce into the id_token (the code exchange; not a refresh). */
  withNonce: boolean
}

/** Issues the tokens; the token response body (RFC 6749 §5.1 plus SMART's launch context). */
export async function issueGrantTokens(
  env: Env,
  client: StoredClient,
  issue: GrantIssue
): Promise<{ body: Record<string, unknown>; jti: string }> {
  const { grant, issuer } = issue
  const settings = codeSettings(client)
  const scopes = splitScope(issue.scope) ?? []
  const grantScopes = splitScope(grant.scope) ?? []
  const now = Math.floor(Date.now() / 1000)
  const statements = [...issue.before]
  let refreshToken: string | undefined
  if (settings.refreshTokens && wantsRefresh(grantScopes)) {
    refreshToken = randomValue()
    // A grant's refresh tokens end at a fixed time from the code exchange: rotation does not extend it.
    const refreshUntil = grant.refreshUntil ?? now + settings.refreshLifetime
    const { nonce: _nonce, ...kept } = grant
    statements.push(
      storeRefreshStatement(
        env.DB,
        await secretHash(refreshToken),
        {
          grantId: issue.grantId,
          clientId: client.id,
          grant: { ...kept, refreshUntil },
          expiresAt: Math.min(refreshUntil, now + settings.refreshLifetime),
        },
        now
      )
    )
  }
  const fhirUser =
    grant.fhirUser && scopes.includes('fhirUser') ? `${issuer}/${grant.fhirUser}` : undefined
  try {
    const idToken = scopes.includes('openid')
      ? await signIdToken(env, {
          issuer,
          user: grant.user,
          clientId: client.id,
          lifetime: settings.lifetime,
          authTime: grant.authTime,
          ...(issue.withNonce && grant.nonce !== undefined && { nonce: grant.nonce }),
          ...(fhirUser && { fhirUser }),
        })
      : undefined
    const token = await issueAccessToken(
      env,
      {
        clientId: client.id,
        user: grant.user,
        grantId: issue.grantId,
        context: {
          ...(grant.patient && { patient: grant.patient }),
          ...(grant.encounter && { encounter: grant.encounter }),
        },
        scope: issue.scope,
        format: settings.format,
        lifetime: settings.lifetime,
        issuer,
        ...(fhirUser && { extraClaims: { fhirUser } }),
      },
      statements
    )
    const body: Record<string, unknown> = {
      access_token: token.accessToken,
      token_type: 'Bearer',
      expires_in: token.expiresIn,
      scope: issue.scope,
      ...(refreshToken && { refresh_token: refreshToken }),
      ...(idToken && { id_token: idToken }),
      ...(grant.patient && { patient: grant.patient }),
      ...(grant.encounter && { encounter: grant.encounter }),
      need_patient_banner: grant.needPatientBanner,
      smart_style_url: `${issue.origin}/auth/smart-style.json`,
    }
    return { body, jti: token.jti }
  } catch (err) {
    if (!(err instanceof SigningKeyMissing)) throw err
    throw new OAuthError('server_error', 500, 'Token signing is not configured', {
      detail: err.message,
    })
  }
}

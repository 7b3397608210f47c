// The end of an authorization request a person allowed: the grant (who, which scopes, which patient)
// recorded under a new authorization code, and the redirect that hands the code to the app (RFC 6749
// §4.1.2). The code is random, stored hashed, single use, valid for CODE_LIFETIME and bound to the
// client, the redirect URI, the PKCE challenge and the grant; answering the request removes it, in the
// same batch, so a request is answered once.

import type { StoredUser } from '../config/store.ts'
import { randomValue, secretHash, storeCode, type GrantData } from '../auth/grant-store.ts'
import type { Session } from '../auth/sessions.ts'
import { isOnline } from './app-scope.ts'
import { redirectWith } from './authorize-request.ts'
import { answerRequestStatements, type PendingRequest } from './pending-requests.ts'

/** How long a code is valid: one minute (SMART App Launch recommends about that). */
const CODE_LIFETIME = 60

/** The User's fhirUser reference (`Type/id`), when it has a usable one. */
export function fhirUserOf(user: StoredUser): string | undefined {
  const reference = user.fhirUser?.reference
  return typeof reference === 'string' &&
    /^(Patient|Practitioner|RelatedPerson|Person)\/[A-Za-z0-9\-.]{1,64}$/.test(reference)
    ? reference
    : undefined
}

/**
 * Records the grant of `scopes` (what the person allowed, in order) for request `handle` and returns
 * the redirect URI carrying the code, `state` and `iss`.
 */
export async function issueCode(
  db: D1Database,
  handle: string,
  request: PendingRequest,
  user: StoredUser,
  session: Session,
  scopes: readonly string[],
  patient: string | undefined,
  issuer: string
): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  const fhirUser = scopes.includes('fhirUser') ? fhirUserOf(user) : undefined
  // An encounter comes only from an EHR launch, with the `launch` scope.
  const encounter = scopes.includes('launch') ? request.launch?.encounter : undefined
  const grant: GrantData = {
    user: user.id,
    // fhirUser is granted only when the User has one to name.
    scope: scopes.filter((s) => s !== 'fhirUser' || fhirUser).join(' '),
    ...(patient && { patient }),
    ...(encounter && { encounter }),
    ...(fhirUser && { fhirUser }),
    ...(request.nonce && { nonce: request.nonce }),
    authTime: session.createdAt,
    ...(isOnline(scopes) && { session: session.hash }),
    needPatientBanner: request.launch === undefined,
  }
  const code = randomValue()
  await storeCode(
    db,
    await secretHash(code),
    {
      grantId: crypto.randomUUID(),
      clientId: request.clientId,
      redirectUri: request.redirectUri,
      codeChallenge: request.codeChallenge,
      grant,
      expiresAt: now + CODE_LIFETIME,
    },
    now,
    await answerRequestStatements(db, handle)
  )
  // RFC 9207: the issuer, so an app talking to several servers can tell whose code this is.
  return redirectWith(request.redirectUri, { code, state: request.state, iss: issuer })
}

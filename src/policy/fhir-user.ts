// The `fhirUser` of an access token (SMART App Launch 2, scopes-and-launch-context.html#scopes-for-
// requesting-identity-data): the FHIR resource its User is, which the token may read whatever its
// resource scopes (scope-check.ts). Parsed strictly, and only from a token that acts for a User and
// was granted the `fhirUser` scope: one of the four types the spec names, a valid id, and, when
// absolute, a URL under this server's FHIR base. Anything else is no fhirUser (it grants nothing).
// Pure.

import type { TokenGrant } from '../config/principal.ts'
import { splitScope } from '../config/scopes.ts'
import { isId } from '../lib/ids.ts'

/** The resource a token's User is. */
export interface FhirUser {
  readonly type: string
  readonly id: string
}

/** The types a `fhirUser` may name (SMART App Launch 2, "fhirUser" claim). */
const FHIR_USER_TYPES = new Set(['Patient', 'Practitioner', 'RelatedPerson', 'Person'])

/**
 * The token's `fhirUser` claim as `Type/id`, or undefined: when the token acts for no User, was not
 * granted the `fhirUser` scope, or the claim is not `<fhirBase>/<Type>/<id>` or `<Type>/<id>` with
 * one of the four types and a valid id. `fhirBase` is this server's FHIR base (no trailing slash).
 */
export function fhirUserOf(
  token: Pick<TokenGrant, 'user' | 'scope' | 'claims'>,
  fhirBase: string
): FhirUser | undefined {
  const claim = token.claims.fhirUser
  if (token.user === undefined || typeof claim !== 'string') return undefined
  if (!splitScope(token.scope)?.includes('fhirUser')) return undefined
  let reference = claim
  if (/^[a-z][a-z0-9+.-]*:/i.test(claim)) {
    const own = `${fhirBase}/`
    if (!claim.startsWith(own)) return undefined
    reference = claim.slice(own.length)
  }
  const parts = reference.split('/')
  if (parts.length !== 2) return undefined
  const [type, id] = parts as [string, string]
  if (!FHIR_USER_TYPES.has(type) || !isId(id)) return undefined
  return { type, id }
}

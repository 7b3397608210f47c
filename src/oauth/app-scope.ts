// The scopes an app may be offered and granted in the authorization code grant (SMART App Launch 2
// "Scopes and launch context", RFC 6749 §3.3). Of the scopes an app asks for, those it may have are
// offered on the consent page; the rest are dropped (unknown or not allowed), which the token
// response's `scope` shows. An app may have:
//   - patient/ and user/ resource scopes covered by one of its Client's allowed scopes (wildcards; v1
//     and v2 alike); never system/ scopes (client_credentials only);
//   - openid, fhirUser, launch/patient, and launch (only with an EHR launch), when its Client allows
//     them literally; offline_access and online_access too, when its Client may hold refresh tokens.
// A Client without a scope list may have DEFAULT_APP_SCOPE. launch/encounter is not offered: there
// is no encounter picker, so only an EHR launch sets an encounter (with `launch`).

import type { StoredClient } from '../config/store.ts'
import { clientScopes, DEFAULT_APP_SCOPE } from '../config/client-oauth.ts'
import { parseResourceScope, scopeCovers, type ResourceScope } from '../config/scopes.ts'

/** The most scopes one grant holds (as many as one scope parameter may list). */
const MAX_CHOSEN = 100

/** The non-resource scopes this server understands. */
const CONTEXT_SCOPES = new Set([
  'openid',
  'fhirUser',
  'launch',
  'launch/patient',
  'offline_access',
  'online_access',
])

export interface OfferContext {
  /** The request came with an EHR launch value. */
  ehrLaunch: boolean
  /** The Client may hold refresh tokens (codeSettings().refreshTokens). */
  refreshTokens: boolean
}

/** The scopes of `requested` (split, in order) the app may be offered, each once. */
export function offeredScopes(
  client: StoredClient,
  requested: readonly string[],
  context: OfferContext
): string[] {
  const allowed = clientScopes(client) ?? DEFAULT_APP_SCOPE
  const allowedResources = allowed
    .map(parseResourceScope)
    .filter((scope): scope is ResourceScope => scope !== null && scope.context !== 'system')
  const offered: string[] = []
  for (const scope of new Set(requested)) {
    const resource = parseResourceScope(scope)
    const ok = resource
      ? resource.context !== 'system' && allowedResources.some((a) => scopeCovers(a, resource))
      : CONTEXT_SCOPES.has(scope) &&
        allowed.includes(scope) &&
        (scope !== 'launch' || context.ehrLaunch) &&
        (!scope.endsWith('_access') || context.refreshTokens)
    if (ok) offered.push(scope)
  }
  return offered
}

/**
 * The offered scopes a person may grant: a patient (a User whose fhirUser is a Patient) acts only for
 * their own record, so `user/` scopes (everything the User can reach) are not theirs to grant.
 */
export function scopesForPerson(scopes: readonly string[], isPatient: boolean): string[] {
  return isPatient ? scopes.filter((scope) => !scope.startsWith('user/')) : [...scopes]
}

/**
 * The scopes a person ticked on the consent page that may be granted: offered ones, and resource
 * scopes narrower than an offered one (SMART App Launch 2: a person may narrow `patient/Observation.rs`
 * to `patient/Observation.rs?category=laboratory`), in the order offered, then as ticked. A ticked
 * narrower scope that was not offered replaces the offered resource-level scope of its type it
 * narrows, even if that one stayed ticked (ONC (g)(10) "Granular Scope Selection": ticking
 * categories grants only those, pages/scope-categories.ts).
 */
export function chosenScopes(offered: readonly string[], ticked: readonly string[]): string[] {
  const chosen = offered.filter((scope) => ticked.includes(scope))
  const narrower: ResourceScope[] = []
  for (const scope of ticked) {
    if (chosen.length + narrower.length >= MAX_CHOSEN) break
    if (chosen.includes(scope) || narrower.some((n) => n.text === scope)) continue
    const resource = parseResourceScope(scope)
    if (resource && withinGrant(offered, [scope])) narrower.push(resource)
  }
  return [
    ...chosen.filter((scope) => !narrower.some((n) => isNarrowed(scope, n))),
    ...narrower.map((n) => n.text),
  ]
}

/** Whether `scope` is a resource-level scope (no restriction) of `narrower`'s type that covers it. */
function isNarrowed(scope: string, narrower: ResourceScope): boolean {
  const parent = parseResourceScope(scope)
  return (
    parent !== null &&
    !parent.query &&
    parent.type === narrower.type &&
    narrower.query !== undefined &&
    scopeCovers(parent, narrower)
  )
}

/** Whether a grant of `scopes` needs a patient in context (launch/patient or a patient/ scope). */
export function needsPatient(scopes: readonly string[]): boolean {
  return scopes.some((scope) => scope === 'launch/patient' || scope.startsWith('patient/'))
}

/** Whether a grant of `scopes` comes with refresh tokens. */
export function wantsRefresh(scopes: readonly string[]): boolean {
  return scopes.includes('offline_access') || scopes.includes('online_access')
}

/** Whether refresh tokens of a grant of `scopes` live only as long as the login session. */
export function isOnline(scopes: readonly string[]): boolean {
  return scopes.includes('online_access') && !scopes.includes('offline_access')
}

/**
 * Whether `wanted` (a refresh request's `scope`) is within `granted` (RFC 6749 §6: equal or narrower):
 * each wanted scope is granted literally, or is a resource scope a granted one covers.
 */
export function withinGrant(granted: readonly string[], wanted: readonly string[]): boolean {
  const grantedResources = granted
    .map(parseResourceScope)
    .filter((scope): scope is ResourceScope => scope !== null)
  return wanted.every((scope) => {
    if (granted.includes(scope)) return true
    const resource = parseResourceScope(scope)
    return resource !== null && grantedResources.some((g) => scopeCovers(g, resource))
  })
}

// SMART App Launch 2 scopes (scopes-and-launch-context.html) enforced for bearer tokens, in addition to
// AccessPolicies: both must allow. A route says which letter it needs (RouteScope: c, r, u, d, s of
// the interaction table; `entries` for batch/transaction, whose entries are each checked; none for
// the admin and debug API, which tokens may not use). The type is the route's `type` param; a route
// that names none needs a `*` scope, unless it is granular (it checks each type it reads itself).
// A granular grant (`system/Observation.rs?category=laboratory`) passes here only for routes that
// apply restrictions (search, read); anything else needs the unrestricted scope. Refusals are 403
// insufficient_scope (RFC 6750 §3.1) naming the scope that would do. Scopes of the three contexts
// add up: `system/` ones always count, `user/` ones only for a token that acts for a User, and
// `patient/` ones only for a token with a patient in context, and then only inside that patient's
// compartment (patient-compartment.ts: a restriction like any granular one). A route whose handler
// checks what it writes (`checksWrites`) passes with a grant limited to that compartment: the handler
// tests the current and the new version of each resource it writes (fhir/rest/compartment-writes.ts).
// A token acting for a User with a `fhirUser` (fhir-user.ts) may read exactly that resource, whatever
// its resource scopes: the `r` interactions of it pass, and a read of its type gets the alternative
// `_id=<id>`, OR-ed with the other restrictions. Pure: no KV, no D1.

import { insufficientScope } from '../auth/challenges.ts'
import type { Principal } from '../config/principal.ts'
import {
  COMPARTMENT_PARAM,
  restrictionText,
  scopeAccess,
  scopeFor,
  type ResourceScope,
  type ScopeAccess,
  type ScopeLetter,
  type ScopeQuery,
} from '../config/scopes.ts'
import { fhirUserOf, type FhirUser } from './fhir-user.ts'
import { inCompartment } from './patient-compartment.ts'

/** What a route asks of an access token. */
export interface RouteScope {
  /** Its SMART letter; `entries` for a Bundle (each entry is checked); absent: tokens are refused. */
  readonly smart?: ScopeLetter | 'entries'
  /**
   * The handler applies granular restrictions itself (searches filter by them, a read answers 404
   * outside them) and checks every type it reads when the route names no single type.
   */
  readonly granular?: boolean
  /**
   * The handler checks every resource it writes, its current and its new version, against the
   * compartment a `patient/` scope is limited to (fhir/rest/compartment-writes.ts): a grant of the
   * route's letter limited to that compartment passes, any other restricted one is refused.
   */
  readonly checksWrites?: boolean
}

/** Restricted types and their restrictions (each an AND of its parameters, the list OR-ed). */
export type Restrictions = ReadonlyMap<string, readonly ScopeQuery[]>

/** Whom a token acts for, beyond its Client: what `user/` and `patient/` scopes need. */
export interface ScopeContext {
  /** The User it acts for (its id): `user/` scopes count only then. */
  readonly user?: string
  /** The Patient in launch context (bare id): `patient/` scopes count only then, in its compartment. */
  readonly patient?: string
  /** The resource the User is (the token's `fhirUser`): the token may read it (`r`), nothing more. */
  readonly fhirUser?: FhirUser
}

/** The scopes of one access token, as the FHIR API checks them. */
export class TokenScopes {
  private readonly scopes: readonly ResourceScope[]
  private readonly context: ScopeContext

  constructor(scopes: readonly ResourceScope[], context: ScopeContext = {}) {
    this.scopes = scopes
    this.context = context
  }

  /**
   * The union of what the token's scopes of every context that counts give on `type` for
   * `letter`: unrestricted as soon as one of them is (a `system/` or `user/` scope without
   * restriction wins over the compartment), otherwise every restriction, OR-ed.
   */
  private grant(type: string, letter: ScopeLetter): ScopeAccess {
    const { user, patient, fhirUser } = this.context
    const parts = [scopeAccess(this.scopes, type, letter, 'system')]
    if (user !== undefined) parts.push(scopeAccess(this.scopes, type, letter, 'user'))
    if (parts.some((p) => p.kind === 'all')) return { kind: 'all' }
    if (patient !== undefined) {
      parts.push(inCompartment(scopeAccess(this.scopes, type, letter, 'patient'), type, patient))
    }
    if (letter === 'r' && fhirUser?.type === type) {
      parts.push({ kind: 'restricted', restrictions: [[['_id', fhirUser.id]]] })
    }
    const restrictions = parts.flatMap((p) => (p.kind === 'restricted' ? p.restrictions : []))
    return restrictions.length ? { kind: 'restricted', restrictions } : { kind: 'none' }
  }

  /**
   * Throws 403 unless the token may call a route with these route params. `what` names the route
   * in the refusal (`GET /Client/x`).
   */
  route(route: RouteScope, params: Readonly<Record<string, string | undefined>>, what: string) {
    const { smart, granular, checksWrites } = route
    if (smart === undefined) {
      throw insufficientScope(
        `access tokens act on FHIR data only; ${what} needs HTTP Basic client credentials`
      )
    }
    if (smart === 'entries') return
    const type = params.type
    // The fhirUser itself: read, vread and its history (they show that resource only).
    if (smart === 'r' && this.isFhirUser(type, params.id)) return
    const named = type !== undefined && type !== '*'
    if (!named && granular) return
    const access = this.access(named ? type : '*', smart)
    if (access.kind !== 'restricted' || granular) return
    if (checksWrites && named && this.compartmentOnly(access.restrictions)) return
    this.refuseRestricted(named ? type : '*', smart, access.restrictions, what)
  }

  /**
   * The patient (bare id) whose compartment a write of `letter` on `type` is limited to; undefined
   * when the write is not limited. 403 when the token grants no such write, or only a restricted
   * one other than the compartment (a route without `checksWrites` refuses those already).
   */
  writer(type: string, letter: 'c' | 'u' | 'd'): string | undefined {
    const access = this.access(type, letter)
    if (access.kind === 'all') return undefined
    if (!this.compartmentOnly(access.restrictions)) {
      this.refuseRestricted(type, letter, access.restrictions, 'a write')
    }
    return this.context.patient!
  }

  /** Whether `restrictions` are only the compartment of the patient in context. */
  private compartmentOnly(restrictions: readonly ScopeQuery[]): boolean {
    const { patient } = this.context
    if (patient === undefined) return false
    return restrictions.every(
      (q) => q.length === 1 && q[0]![0] === COMPARTMENT_PARAM && q[0]![1] === `Patient/${patient}`
    )
  }

  private isFhirUser(type: string | undefined, id: string | undefined): boolean {
    const { fhirUser } = this.context
    return fhirUser !== undefined && fhirUser.type === type && fhirUser.id === id
  }

  /** The access to `letter` on `type` (`*`: every type at once); 403 when there is none. */
  access(type: string, letter: ScopeLetter): Exclude<ScopeAccess, { kind: 'none' }> {
    const access = this.grant(type, letter)
    if (access.kind !== 'none') return access
    const on = type === '*' ? 'every resource type' : type
    throw insufficientScope(
      `the access token grants no ${LETTER_NAMES[letter]} of ${on}`,
      scopeFor(type, letter)
    )
  }

  /** Whether the token may read every resource of `type` (`r` without restriction). */
  readsAll(type: string): boolean {
    return this.grant(type, 'r').kind === 'all'
  }

  /** The restrictions on `letter` for `type`, undefined when unrestricted; 403 when not granted. */
  restrictions(type: string, letter: ScopeLetter): readonly ScopeQuery[] | undefined {
    const access = this.access(type, letter)
    return access.kind === 'restricted' ? access.restrictions : undefined
  }

  /**
   * What searches of `types` may read (each needs `s`): with `apply`, the restrictions of the
   * restricted ones, which the caller applies; otherwise (conditional criteria and references) a
   * restricted type is refused, as a restriction cannot be applied there.
   */
  searches(types: readonly string[], restricted?: 'apply'): Restrictions {
    const out = new Map<string, readonly ScopeQuery[]>()
    for (const type of types) {
      const restrictions = this.restrictions(type, 's')
      if (!restrictions) continue
      if (restricted !== 'apply') {
        this.refuseRestricted(type, 's', restrictions, 'conditional criteria and references')
      }
      out.set(type, restrictions)
    }
    return out
  }

  private refuseRestricted(
    type: string,
    letter: ScopeLetter,
    restrictions: readonly ScopeQuery[],
    what: string
  ): never {
    const written = restrictions.map((q) => `?${restrictionText(q)}`).join(', ')
    throw insufficientScope(
      `the access token's ${LETTER_NAMES[letter]} of ${type === '*' ? 'every type' : type} is ` +
        `restricted (${written}) and ${what} cannot apply a restriction; it needs ${scopeFor(type, letter)}`,
      scopeFor(type, letter)
    )
  }
}

const LETTER_NAMES: Record<ScopeLetter, string> = {
  c: 'create (c)',
  r: 'read (r)',
  u: 'update (u)',
  d: 'delete (d)',
  s: 'search (s)',
}

/**
 * The scopes a request's principal is held to: only a bearer token's, with the User it acts for,
 * its patient in context and its fhirUser (`fhirBase`: this server's FHIR base, which an absolute
 * fhirUser must be under); undefined otherwise.
 */
export function tokenScopes(principal: Principal, fhirBase: string): TokenScopes | undefined {
  if (principal.kind !== 'client' || !principal.token) return undefined
  const { scopes, user, patient } = principal.token
  return new TokenScopes(scopes, { user, patient, fhirUser: fhirUserOf(principal.token, fhirBase) })
}

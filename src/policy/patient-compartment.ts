// What a `patient/` scope (SMART App Launch 2, scopes-and-launch-context.html) may reach: the Patient
// compartment (R4 compartmentdefinition-patient) of the token's patient in context, as one more
// granular restriction, `_compartment=Patient/<id>` (COMPARTMENT_PARAM), AND-ed with every
// restriction the scope itself carries. The search engine expands it into the compartment's
// parameters of each type it is applied to and refuses it, with 403, on a type outside the
// compartment (src/fhir/search/compartment.ts): this layer does not know the definitions. Pure.

import { COMPARTMENT_PARAM, type ScopeAccess, type ScopeQuery } from '../config/scopes.ts'
import { isId } from '../lib/ids.ts'

/**
 * `access` (what a token's `patient/` scopes give on `type`) limited to the compartment of
 * Patient/`patient`. `none` for `*` (every type at once is never one compartment) and for a
 * patient that is not an id.
 */
export function inCompartment(
  access: ScopeAccess,
  type: string,
  patient: string
): Exclude<ScopeAccess, { kind: 'all' }> {
  if (access.kind === 'none' || type === '*' || !isId(patient)) return { kind: 'none' }
  const link: readonly [string, string] = [COMPARTMENT_PARAM, `Patient/${patient}`]
  const own = access.kind === 'restricted' ? access.restrictions : [[]]
  return { kind: 'restricted', restrictions: own.map((query) => sorted([link, ...query])) }
}

function sorted(query: (readonly [string, string])[]): ScopeQuery {
  return query.sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
}

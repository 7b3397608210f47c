// Writes under `patient/` scopes (SMART App Launch 2, scopes-and-launch-context.html: a `patient/`
// scope is limited to the patient in context's compartment). A create, update, patch or delete whose
// grant is that compartment is checked on the resource it writes: the current stored version (when
// there is one, deleted or not) must be in the compartment, so no one else's resource is taken over,
// and so must the new version, so none is moved out. A Patient is never created this way (the patient
// already exists; only its own id may be written). Both tests run in memory on rows the write reads
// anyway (search/compartment.ts `inPatientCompartment`, the same index rows a restricted search
// matches): no extra round trip. A refusal is 403 insufficient_scope naming the unrestricted scope.

import { insufficientScope } from '../../auth/challenges.ts'
import { scopeFor } from '../../config/scopes.ts'
import type { TokenScopes } from '../../policy/scope-check.ts'
import { inPatientCompartment } from '../search/compartment.ts'
import type { StoredRow } from '../storage/resources.ts'
import type { RestResult } from './result.ts'

/** The write letters of SMART App Launch 2. */
export type WriteLetter = 'c' | 'u' | 'd'

/** What a write checks when its grant is limited to a compartment. */
export interface WriteCheck {
  /** Throws 403 unless the current row (null: none) may be written over. */
  current(row: StoredRow | null): void
  /** Throws 403 unless the version the write makes (`result`, over `current`) may be written. */
  written(result: RestResult, current: StoredRow | null): void
}

/**
 * The check a write of `letter` on `type` is held to: undefined when the caller's grant is not
 * limited (no token, or an unrestricted scope); 403 when it grants no such write at all.
 */
export function compartmentWrites(
  scopes: TokenScopes | undefined,
  type: string,
  letter: WriteLetter
): WriteCheck | undefined {
  const patient = scopes?.writer(type, letter)
  if (patient === undefined) return undefined
  const refuse = (why: string) =>
    insufficientScope(
      `the access token's patient/ scopes write only in the compartment of Patient/${patient}, ` +
        `and ${why}; it needs ${scopeFor(type, letter)}`,
      scopeFor(type, letter)
    )
  return {
    current(row) {
      if (row && !inPatientCompartment(type, row.body, patient)) {
        throw refuse(`${type}/${row.body.id} is not in it`)
      }
    },
    written(result, current) {
      const body = result.version?.body
      if (!body) return
      const created = !current || current.deleted
      if (type === 'Patient' && created && body.id !== patient) {
        throw refuse('a Patient other than the patient itself would be created')
      }
      if (!inPatientCompartment(type, body, patient)) {
        throw refuse(`the ${type} written would not be in it`)
      }
    },
  }
}

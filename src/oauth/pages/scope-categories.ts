// The category choices under a resource scope on the consent page (ONC §170.315(g)(10) "Granular
// Scope Selection"; SMART App Launch 2 "Scopes and Launch Context", finer-grained constraints with
// search parameters): an offered read or search scope of Observation or Condition without a
// restriction may be narrowed by the person to `<scope>?category=<system>|<code>` scopes, one per
// category. Observation categories are FHIR R4's observation-category codes and US Core's `sdoh`;
// Condition categories are FHIR R4's condition-category codes and US Core's `health-concern`.

import { parseResourceScope, scopeCovers } from '../../config/scopes.ts'

export interface CategoryChoice {
  /** The granular scope a ticked box grants (`patient/Observation.rs?category=…|laboratory`). */
  readonly scope: string
  /** The category in plain words. */
  readonly label: string
}

const OBSERVATION = 'http://terminology.hl7.org/CodeSystem/observation-category'
const CONDITION = 'http://terminology.hl7.org/CodeSystem/condition-category'
const US_CORE = 'http://hl7.org/fhir/us/core/CodeSystem/us-core-category'
const US_CORE_CONDITION = 'http://hl7.org/fhir/us/core/CodeSystem/condition-category'

/** The categories of each type, as `system|code` and plain words, most asked for first. */
const CATEGORIES: Record<string, readonly (readonly [string, string])[]> = {
  Observation: [
    [`${OBSERVATION}|laboratory`, 'Laboratory'],
    [`${OBSERVATION}|vital-signs`, 'Vital signs'],
    [`${OBSERVATION}|social-history`, 'Social history'],
    [`${OBSERVATION}|survey`, 'Surveys'],
    [`${US_CORE}|sdoh`, 'Social needs (SDOH)'],
    [`${OBSERVATION}|exam`, 'Exams'],
    [`${OBSERVATION}|imaging`, 'Imaging'],
    [`${OBSERVATION}|procedure`, 'Procedures'],
    [`${OBSERVATION}|therapy`, 'Therapy'],
    [`${OBSERVATION}|activity`, 'Activity'],
  ],
  Condition: [
    [`${CONDITION}|problem-list-item`, 'Problem list'],
    [`${CONDITION}|encounter-diagnosis`, 'Visit diagnoses'],
    [`${US_CORE_CONDITION}|health-concern`, 'Health concerns'],
  ],
}

/**
 * The category choices of `scope`: none unless it is a `patient/` or `user/` scope of a type with
 * categories, without a restriction, that grants only read and search (a restriction means nothing
 * on writes, so narrowing a write scope would take the writes away).
 */
export function categoryChoices(scope: string): CategoryChoice[] {
  const parent = parseResourceScope(scope)
  if (!parent || parent.context === 'system' || parent.query) return []
  if (/[cud]/.test(parent.letters)) return []
  const base = `${parent.context}/${parent.type}.${parent.letters}`
  return (CATEGORIES[parent.type] ?? []).flatMap(([category, label]) => {
    const narrower = parseResourceScope(`${base}?category=${category}`)
    return narrower && scopeCovers(parent, narrower) ? [{ scope: narrower.text, label }] : []
  })
}

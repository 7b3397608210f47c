// Conditions (chronic and acute, SNOMED CT) diagnosed at a patient's encounters, and the
// MedicationRequests (RxNorm) ordered for them.
import type { Faker } from '@faker-js/faker'
import type { EncounterContext } from './encounters.ts'
import { REF_DATE } from './fakers.ts'
import type { PatientContext } from './people.ts'
import {
  CONDITION,
  ENCOUNTER_TYPE,
  MEDICATION,
  SYSTEM,
  codingOnly,
  concept,
  type ConditionKey,
  type MedicationKey,
} from './terminology.ts'
import { DAY, MINUTE, formatDateTime } from './time.ts'
import type { Condition, MedicationRequest } from './types.ts'

const REF_MS = Date.parse(REF_DATE)

/** A Condition and where it was diagnosed (index into the patient's encounters). */
export interface Diagnosis {
  key: ConditionKey
  encounter: number
  /** Acute episodes resolve within weeks and are treated once; chronic ones are renewed. */
  acute: boolean
  condition: Condition
}

interface Chronic {
  key: ConditionKey
  /** Minimum age at the diagnosing visit. */
  minAge: number
  /** Prevalence by the patient's age at the end of 2025: [under 30, 30 to 44, 45 and over]. */
  prevalence: [number, number, number]
}

const CHRONIC: Chronic[] = [
  { key: 'diabetes', minAge: 25, prevalence: [0.01, 0.08, 0.22] },
  { key: 'prediabetes', minAge: 18, prevalence: [0.03, 0.2, 0.2] },
  { key: 'hypertension', minAge: 25, prevalence: [0.02, 0.15, 0.45] },
  { key: 'hyperlipidemia', minAge: 30, prevalence: [0.01, 0.1, 0.3] },
  { key: 'asthma', minAge: 2, prevalence: [0.08, 0.08, 0.08] },
]

function condition(
  core: Faker,
  patient: PatientContext,
  visit: EncounterContext,
  key: ConditionKey,
  abatement?: number
): Condition {
  const def = CONDITION[key]
  const onset = formatDateTime(patient.zone, visit.start)
  const resolved = abatement !== undefined
  return {
    resourceType: 'Condition',
    id: core.string.uuid(),
    clinicalStatus: codingOnly(
      SYSTEM.conditionClinical,
      resolved ? 'resolved' : 'active',
      resolved ? 'Resolved' : 'Active'
    ),
    verificationStatus: codingOnly(SYSTEM.conditionVerStatus, 'confirmed', 'Confirmed'),
    category: [concept(SYSTEM.conditionCategory, 'encounter-diagnosis', 'Encounter Diagnosis')],
    code: concept(SYSTEM.snomed, def.code, def.display),
    subject: { ...patient.ref },
    encounter: { ...visit.ref },
    onsetDateTime: onset,
    ...(resolved ? { abatementDateTime: formatDateTime(patient.zone, abatement) } : {}),
    recordedDate: onset,
  }
}

/** Chronic conditions by age-dependent prevalence, then acute episodes at symptom/ER visits. */
export function buildDiagnoses(
  core: Faker,
  patient: PatientContext,
  visits: readonly EncounterContext[]
): Diagnosis[] {
  const ageNow = (visits.length > 0 ? visits[visits.length - 1].age : 0) + 0.5
  const band = ageNow < 30 ? 0 : ageNow < 45 ? 1 : 2
  const found: Diagnosis[] = []
  for (const chronic of CHRONIC) {
    if (!core.datatype.boolean(chronic.prevalence[band])) continue
    if (chronic.key === 'prediabetes' && found.some((d) => d.key === 'diabetes')) continue
    const candidates = visits
      .map((visit, index) => ({ visit, index }))
      .filter(({ visit }) => visit.cls === 'AMB' && visit.age >= chronic.minAge)
    if (candidates.length === 0) continue
    // Diagnose early enough that follow-up visits usually exist.
    const last = Math.max(0, Math.floor((candidates.length - 1) * 0.7))
    const { visit, index } = candidates[core.number.int({ min: 0, max: last })]
    const resource = condition(core, patient, visit, chronic.key)
    found.push({ key: chronic.key, encounter: index, acute: false, condition: resource })
  }
  visits.forEach((visit, index) => {
    const acute = visit.cls === 'EMER' || visit.kind === ENCOUNTER_TYPE.symptom
    if (!acute) return
    const key = core.helpers.weightedArrayElement<ConditionKey | null>([
      { value: 'bronchitis', weight: 3 },
      { value: 'sinusitis', weight: 3 },
      { value: null, weight: 4 },
    ])
    if (key === null) return
    // Still active if it would only resolve after the data set's reference date.
    const abatement = visit.start + core.number.int({ min: 7, max: 21 }) * DAY
    const resolved = abatement < REF_MS ? abatement : undefined
    const resource = condition(core, patient, visit, key, resolved)
    found.push({ key, encounter: index, acute: true, condition: resource })
  })
  return found.sort((a, b) => a.encounter - b.encounter)
}

const TREATMENT: Partial<Record<ConditionKey, [MedicationKey, number][]>> = {
  diabetes: [['metformin', 1]],
  hypertension: [
    ['lisinopril', 0.7],
    ['amlodipine', 0.3],
  ],
  hyperlipidemia: [['simvastatin', 0.7]],
  asthma: [['albuterol', 0.9]],
  bronchitis: [['acetaminophen', 0.6]],
}

interface Order {
  encounter: number
  medication: MedicationKey
  diagnosis: Diagnosis
}

/** Orders at the diagnosing visit; chronic ones are renewed at later ambulatory visits. */
export function buildMedicationRequests(
  core: Faker,
  patient: PatientContext,
  visits: readonly EncounterContext[],
  diagnoses: readonly Diagnosis[]
): MedicationRequest[] {
  const orders: Order[] = []
  for (const diagnosis of diagnoses) {
    const options = TREATMENT[diagnosis.key]
    if (!options) continue
    // Options are alternatives: pick one by weight; leftover weight means "no prescription".
    let roll = core.number.float({ min: 0, max: 1 })
    const chosen = options.find(([, weight]) => (roll -= weight) < 0)
    if (!chosen) continue
    const medication = chosen[0]
    orders.push({ encounter: diagnosis.encounter, medication, diagnosis })
    if (diagnosis.acute) continue
    for (let i = diagnosis.encounter + 1; i < visits.length; i++) {
      if (visits[i].cls === 'AMB' && core.datatype.boolean(0.6)) {
        orders.push({ encounter: i, medication, diagnosis })
      }
    }
  }
  orders.sort((a, b) => a.encounter - b.encounter)
  return orders.map((order, n) => {
    const visit = visits[order.encounter]
    const def = MEDICATION[order.medication]
    const renewed = orders.slice(n + 1).some((o) => o.medication === order.medication)
    const delay = core.number.int({ min: 5, max: 30 }) * MINUTE
    const authored = Math.min(visit.start + delay, visit.dayEnd)
    return {
      resourceType: 'MedicationRequest',
      id: core.string.uuid(),
      status: order.diagnosis.acute || renewed ? 'completed' : 'active',
      intent: 'order',
      medicationCodeableConcept: concept(SYSTEM.rxnorm, def.code, def.display),
      subject: { ...patient.ref },
      encounter: { ...visit.ref },
      authoredOn: formatDateTime(patient.zone, authored),
      requester: { ...visit.practitioner },
      reasonReference: [{ reference: `Condition/${order.diagnosis.condition.id}` }],
      dosageInstruction: [
        {
          sequence: 1,
          text: def.dose,
          timing: { repeat: { frequency: def.frequency, period: 1, periodUnit: 'd' } },
          asNeededBoolean: def.asNeeded,
        },
      ],
    }
  })
}

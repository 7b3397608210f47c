// Observations taken at each encounter: vital signs (weight, heart rate, temperature, blood
// pressure panel) and laboratory results (HbA1c, glucose) consistent with the patient's diagnoses.
import type { Faker } from '@faker-js/faker'
import type { EncounterContext } from './encounters.ts'
import type { PatientContext } from './people.ts'
import type { Diagnosis } from './problems.ts'
import { LAB, SYSTEM, VITAL, codingOnly, concept, type ObservationDef } from './terminology.ts'
import { HOUR, MINUTE, formatDateTime } from './time.ts'
import type { CodeableConcept, Observation, ObservationComponent, Quantity } from './types.ts'

type Category = 'laboratory' | 'vital-signs'
const LABORATORY: Category = 'laboratory'
const VITAL_SIGNS: Category = 'vital-signs'

function code(def: ObservationDef): CodeableConcept {
  return concept(SYSTEM.loinc, def.code, def.display)
}

function quantity(def: ObservationDef, value: number): Quantity {
  return { value, unit: def.unit, system: SYSTEM.ucum, code: def.unit }
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits
  return Math.round(value * scale) / scale
}

/** Per-patient baselines so repeated measurements of one person stay plausible. */
interface Baseline {
  adultWeight: number
  a1c: number
  hypertensive: boolean
  diabetic: boolean
  prediabetic: boolean
}

function baseline(core: Faker, patient: PatientContext, diagnoses: readonly Diagnosis[]): Baseline {
  const has = (key: Diagnosis['key']) => diagnoses.some((d) => d.key === key)
  const male = patient.resource.gender === 'male'
  return {
    adultWeight: core.number.float({ min: male ? 62 : 50, max: male ? 118 : 100 }),
    a1c: core.number.float({ min: 7.2, max: 10.8 }),
    hypertensive: has('hypertension'),
    diabetic: has('diabetes'),
    prediabetic: has('prediabetes'),
  }
}

/** Body weight in kg for an age, growing towards the adult baseline. */
function weightAt(age: number, adult: number): number {
  if (age < 1) return 3.5 + age * 6.5
  if (age < 2) return 10 + (age - 1) * 2.5
  if (age < 18) return 12.5 + ((age - 2) * (adult - 12.5)) / 16
  return adult
}

function heartRate(core: Faker, age: number, emergency: boolean): number {
  const [min, max] = age < 1 ? [100, 160] : age < 6 ? [80, 130] : age < 12 ? [70, 115] : [58, 100]
  return core.number.int({ min, max }) + (emergency ? core.number.int({ min: 0, max: 20 }) : 0)
}

function bloodPressure(core: Faker, age: number, hypertensive: boolean): [number, number] {
  if (age < 13) {
    return [core.number.int({ min: 90, max: 115 }), core.number.int({ min: 55, max: 75 })]
  }
  if (hypertensive && age >= 25) {
    return [core.number.int({ min: 135, max: 172 }), core.number.int({ min: 85, max: 105 })]
  }
  return [core.number.int({ min: 100, max: 134 }), core.number.int({ min: 62, max: 84 })]
}

export function buildObservations(
  core: Faker,
  patient: PatientContext,
  visits: readonly EncounterContext[],
  diagnoses: readonly Diagnosis[]
): Observation[] {
  const base = baseline(core, patient, diagnoses)
  const out: Observation[] = []
  const { zone } = patient

  visits.forEach((visit, index) => {
    const observation = (
      category: Category,
      def: ObservationDef,
      effective: number,
      issued: number,
      value: Quantity | ObservationComponent[]
    ): Observation => ({
      resourceType: 'Observation',
      id: core.string.uuid(),
      status: 'final',
      category: [codingOnly(SYSTEM.observationCategory, category, category)],
      code: code(def),
      subject: { ...patient.ref },
      encounter: { ...visit.ref },
      effectiveDateTime: formatDateTime(zone, effective),
      issued: formatDateTime(zone, issued, true),
      ...(Array.isArray(value) ? { component: value } : { valueQuantity: value }),
    })
    const known = (key: Diagnosis['key']) =>
      diagnoses.some((d) => d.key === key && d.encounter <= index)
    const emergency = visit.cls === 'EMER'
    const febrile = diagnoses.some(
      (d) => d.encounter === index && (d.key === 'bronchitis' || d.key === 'sinusitis')
    )

    // Vital signs, taken together shortly after arrival.
    const arrival = core.number.int({ min: 2, max: 10 }) * MINUTE
    const vitalsAt = Math.min(visit.start + arrival, visit.dayEnd)
    const vitalsIssued = () => vitalsAt + core.number.int({ min: 0, max: 999 })
    if (!emergency || core.datatype.boolean(0.5)) {
      const kg = weightAt(visit.age, base.adultWeight) * core.number.float({ min: 0.97, max: 1.03 })
      const value = quantity(VITAL.bodyWeight, round(kg, 1))
      out.push(observation(VITAL_SIGNS, VITAL.bodyWeight, vitalsAt, vitalsIssued(), value))
    }
    const bpm = quantity(VITAL.heartRate, heartRate(core, visit.age, emergency))
    out.push(observation(VITAL_SIGNS, VITAL.heartRate, vitalsAt, vitalsIssued(), bpm))
    const fever = (febrile || emergency) && core.datatype.boolean(febrile ? 0.6 : 0.2)
    const celsius = fever
      ? core.number.float({ min: 37.8, max: 39.4 })
      : core.number.float({ min: 36.2, max: 37.3 })
    const temperature = quantity(VITAL.bodyTemperature, round(celsius, 1))
    out.push(observation(VITAL_SIGNS, VITAL.bodyTemperature, vitalsAt, vitalsIssued(), temperature))
    if (visit.age >= 3) {
      const [systolic, diastolic] = bloodPressure(core, visit.age, base.hypertensive)
      const components: ObservationComponent[] = [
        { code: code(VITAL.systolic), valueQuantity: quantity(VITAL.systolic, systolic) },
        { code: code(VITAL.diastolic), valueQuantity: quantity(VITAL.diastolic, diastolic) },
      ]
      out.push(observation(VITAL_SIGNS, VITAL.bloodPressure, vitalsAt, vitalsIssued(), components))
    }

    // Laboratory: HbA1c for (pre)diabetics and adult screening, glucose alongside or in the ER.
    const drawnAt = Math.min(vitalsAt + core.number.int({ min: 5, max: 40 }) * MINUTE, visit.dayEnd)
    const reported = () =>
      drawnAt +
      core.number.int({ min: 30 * MINUTE, max: 4 * HOUR }) +
      core.number.int({ min: 1, max: 999 })
    const diagnosedHere = diagnoses.some(
      (d) => d.encounter === index && (d.key === 'diabetes' || d.key === 'prediabetes')
    )
    const followUp = known('diabetes') || known('prediabetes')
    let a1c: number | undefined
    if (
      diagnosedHere ||
      (visit.cls === 'AMB' && followUp && core.datatype.boolean(0.8)) ||
      (visit.cls === 'IMP' && base.diabetic && core.datatype.boolean(0.5)) ||
      (visit.cls === 'AMB' && visit.age >= 35 && core.datatype.boolean(0.4))
    ) {
      if (base.diabetic) a1c = core.number.float({ min: base.a1c - 0.7, max: base.a1c + 0.7 })
      else if (base.prediabetic) a1c = core.number.float({ min: 5.7, max: 6.4 })
      else a1c = core.number.float({ min: 4.2, max: 5.6 })
      const value = quantity(LAB.hba1c, a1c)
      out.push(observation(LABORATORY, LAB.hba1c, drawnAt, reported(), value))
    }
    const withA1c = a1c !== undefined && core.datatype.boolean(0.7)
    if (withA1c || (visit.cls !== 'AMB' && core.datatype.boolean(0.5))) {
      // Estimated average glucose (ADAG: 28.7 × A1c − 46.7) plus the noise of a single draw.
      const mgdl =
        a1c !== undefined
          ? 28.7 * a1c - 46.7 + core.number.int({ min: -20, max: 20 })
          : base.diabetic
            ? core.number.int({ min: 110, max: 260 })
            : core.number.int({ min: 70, max: 130 })
      const value = quantity(LAB.glucose, Math.max(55, Math.round(mgdl)))
      out.push(observation(LABORATORY, LAB.glucose, drawnAt, reported(), value))
    }
  })
  return out
}

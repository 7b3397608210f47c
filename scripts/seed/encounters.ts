// A patient's Encounters: several visits between 2010 and 2025 (ambulatory, emergency, inpatient),
// with wall-clock times in the patient's time zone and a performing Practitioner from the pool.
import type { Faker } from '@faker-js/faker'
import type { PatientContext } from './people.ts'
import {
  ENCOUNTER_CLASS,
  ENCOUNTER_TYPE,
  SYSTEM,
  concept,
  type CodeDef,
  type EncounterClass,
} from './terminology.ts'
import { DAY, HOUR, MINUTE, SECOND, YEAR, epochDay, formatDateTime, localToUtc } from './time.ts'
import type { Encounter, Reference } from './types.ts'

const CARE_FROM = epochDay('2010-01-01')
// Ends a day early so stays, results and prescriptions all fall within 2025 local time.
const CARE_TO = epochDay('2025-12-30')

/** An Encounter plus the facts later generators need (instants are UTC milliseconds). */
export interface EncounterContext {
  resource: Encounter
  ref: Reference
  cls: EncounterClass
  kind: CodeDef
  start: number
  end: number
  /** Last second of the local calendar day the encounter started on, capped at its end. */
  dayEnd: number
  practitioner: Reference
  /** Patient's age in years when the encounter started. */
  age: number
}

/** Distinct, ascending visit days (days since the epoch) within the patient's care window. */
function visitDays(core: Faker, from: number, to: number): number[] {
  const span = (to - from) / 365.25
  const count = core.number.int({ min: 2, max: Math.max(2, Math.min(14, Math.round(span * 0.8))) })
  const days = new Set<number>()
  for (let attempt = 0; days.size < count && attempt < count * 10; attempt++) {
    days.add(core.number.int({ min: from, max: to }))
  }
  return [...days].sort((a, b) => a - b)
}

/** Local start time of day (ms after midnight) and length of stay for a class of visit. */
function timing(core: Faker, cls: EncounterClass, stayDays: number): [at: number, length: number] {
  const seconds = core.number.int({ min: 0, max: 59 }) * SECOND
  const minutes = core.number.int({ min: 0, max: 59 }) * MINUTE
  if (cls === 'AMB') {
    const at = core.number.int({ min: 8, max: 16 }) * HOUR + minutes + seconds
    return [at, core.number.int({ min: 15, max: 60 }) * MINUTE]
  }
  if (cls === 'EMER') {
    const at = core.number.int({ min: 0, max: 22 }) * HOUR + minutes + seconds
    return [at, core.number.int({ min: 60, max: 360 }) * MINUTE]
  }
  const at = core.number.int({ min: 6, max: 20 }) * HOUR + minutes + seconds
  const leave =
    core.number.int({ min: 9, max: 16 }) * HOUR + core.number.int({ min: 0, max: 59 }) * MINUTE
  return [at, stayDays * DAY - at + leave]
}

export function buildEncounters(
  core: Faker,
  patient: PatientContext,
  practitioners: readonly Reference[]
): EncounterContext[] {
  const from = Math.max(CARE_FROM, patient.birthDay + 1)
  const days = visitDays(core, from, CARE_TO)
  const { zone } = patient
  return days.map((day, i) => {
    const id = core.string.uuid()
    let cls = core.helpers.weightedArrayElement<EncounterClass>([
      { value: 'AMB', weight: 75 },
      { value: 'EMER', weight: 15 },
      { value: 'IMP', weight: 10 },
    ])
    // An inpatient stay must end before the next visit starts.
    const gap = (i + 1 < days.length ? days[i + 1] : CARE_TO + 1) - day
    const stayDays = Math.min(core.number.int({ min: 1, max: 6 }), gap - 1)
    if (cls === 'IMP' && stayDays < 1) cls = 'EMER'
    const [at, length] = timing(core, cls, stayDays)
    const start = localToUtc(zone, day * DAY + at)
    const end = start + length
    const dayEnd = Math.min(end, localToUtc(zone, (day + 1) * DAY) - SECOND)

    let kind: CodeDef = cls === 'EMER' ? ENCOUNTER_TYPE.emergency : ENCOUNTER_TYPE.admission
    if (cls === 'AMB') {
      kind = core.helpers.weightedArrayElement<CodeDef>([
        { value: ENCOUNTER_TYPE.checkUp, weight: 5 },
        { value: ENCOUNTER_TYPE.followUp, weight: 3 },
        { value: ENCOUNTER_TYPE.symptom, weight: 2 },
      ])
    }
    const usual = cls === 'AMB' && core.datatype.boolean(0.85)
    const practitioner = usual
      ? practitioners[patient.practitioner]
      : core.helpers.arrayElement(practitioners)

    const resource: Encounter = {
      resourceType: 'Encounter',
      id,
      status: 'finished',
      class: { ...ENCOUNTER_CLASS[cls] },
      type: [concept(SYSTEM.snomed, kind.code, kind.display)],
      subject: { ...patient.ref },
      participant: [
        {
          type: [concept(SYSTEM.participationType, 'PPRF', 'primary performer')],
          individual: { ...practitioner },
        },
      ],
      period: { start: formatDateTime(zone, start), end: formatDateTime(zone, end) },
    }
    return {
      resource,
      ref: { reference: `Encounter/${id}` },
      cls,
      kind,
      start,
      end,
      dayEnd,
      practitioner,
      age: (start - patient.birthDay * DAY) / YEAR,
    }
  })
}

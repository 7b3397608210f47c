// The seed generator: a lazy, deterministic stream of FHIR R4 resources for N patients.
import { buildEncounters } from './encounters.ts'
import { createFakers } from './fakers.ts'
import { buildObservations } from './observations.ts'
import { buildPatient, buildPractitioner, practitionerRef } from './people.ts'
import { buildDiagnoses, buildMedicationRequests } from './problems.ts'
import type { FhirResource, GenerateOptions } from './types.ts'

export const DEFAULT_SEED = 42

/** One practitioner per 20 patients, at least 3. */
export function practitionerCount(patients: number): number {
  return Math.max(3, Math.ceil(patients / 20))
}

function checkOptions(options: GenerateOptions): { patients: number; seed: number } {
  const { patients, seed = DEFAULT_SEED } = options
  if (!Number.isSafeInteger(patients) || patients < 1) {
    throw new RangeError(`patients must be a positive integer, got ${patients}`)
  }
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`seed must be an integer from 0 to 4294967295, got ${seed}`)
  }
  return { patients, seed }
}

/**
 * Yields the practitioner pool, then each patient followed by their encounters, conditions,
 * observations and medication requests. Memory use is bounded by one patient's record, so this
 * scales to any N; every patient draws from its own seeded stream.
 */
export function* generateResources(options: GenerateOptions): Generator<FhirResource> {
  const { patients, seed } = checkOptions(options)
  const fakers = createFakers()
  const pool = Array.from({ length: practitionerCount(patients) }, (_, j) =>
    buildPractitioner(fakers, seed, j)
  )
  yield* pool
  const refs = pool.map(practitionerRef)
  for (let i = 0; i < patients; i++) {
    const patient = buildPatient(fakers, seed, i, refs)
    const { core } = fakers
    const visits = buildEncounters(core, patient, refs)
    const diagnoses = buildDiagnoses(core, patient, visits)
    const observations = buildObservations(core, patient, visits, diagnoses)
    const orders = buildMedicationRequests(core, patient, visits, diagnoses)
    yield patient.resource
    for (const visit of visits) yield visit.resource
    for (const diagnosis of diagnoses) yield diagnosis.condition
    yield* observations
    yield* orders
  }
}

/** The whole data set as an array (fine for small N; use generateResources to stream). */
export function generate(options: GenerateOptions): FhirResource[] {
  return [...generateResources(options)]
}

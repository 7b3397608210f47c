// The subset of FHIR R4 datatypes and resources that the seed generator emits.

export interface Coding {
  system: string
  code: string
  display?: string
}

export interface CodeableConcept {
  text?: string
  coding: Coding[]
}

export interface Reference {
  reference: string
  display?: string
}

export interface Quantity {
  value: number
  unit: string
  system: string
  code: string
}

export interface Period {
  start: string
  end: string
}

export interface Identifier {
  use?: string
  type?: CodeableConcept
  system: string
  value: string
}

export interface HumanName {
  use: string
  family: string
  given: string[]
  prefix?: string[]
}

export interface ContactPoint {
  system: 'phone' | 'email'
  value: string
  use: 'home' | 'work' | 'mobile'
}

export interface Address {
  use: 'home' | 'work'
  line: string[]
  city: string
  state: string
  postalCode: string
  country: string
}

export interface Patient {
  resourceType: 'Patient'
  id: string
  identifier: Identifier[]
  active: boolean
  name: HumanName[]
  telecom: ContactPoint[]
  gender: 'male' | 'female' | 'other' | 'unknown'
  birthDate: string
  address: Address[]
  communication: { language: CodeableConcept; preferred: boolean }[]
  generalPractitioner: Reference[]
}

export interface Practitioner {
  resourceType: 'Practitioner'
  id: string
  identifier: Identifier[]
  active: boolean
  name: HumanName[]
  telecom: ContactPoint[]
  gender: 'male' | 'female'
  qualification: { code: CodeableConcept }[]
}

export interface Encounter {
  resourceType: 'Encounter'
  id: string
  status: 'finished'
  class: Coding
  type: CodeableConcept[]
  subject: Reference
  participant: { type: CodeableConcept[]; individual: Reference }[]
  period: Period
}

export interface Condition {
  resourceType: 'Condition'
  id: string
  clinicalStatus: CodeableConcept
  verificationStatus: CodeableConcept
  category: CodeableConcept[]
  code: CodeableConcept
  subject: Reference
  encounter: Reference
  onsetDateTime: string
  abatementDateTime?: string
  recordedDate: string
}

export interface ObservationComponent {
  code: CodeableConcept
  valueQuantity: Quantity
}

export interface Observation {
  resourceType: 'Observation'
  id: string
  status: 'final'
  category: CodeableConcept[]
  code: CodeableConcept
  subject: Reference
  encounter: Reference
  effectiveDateTime: string
  issued: string
  valueQuantity?: Quantity
  component?: ObservationComponent[]
}

export interface Dosage {
  sequence: number
  text: string
  timing: { repeat: { frequency: number; period: number; periodUnit: 'd' } }
  asNeededBoolean: boolean
}

export interface MedicationRequest {
  resourceType: 'MedicationRequest'
  id: string
  status: 'active' | 'completed'
  intent: 'order'
  medicationCodeableConcept: CodeableConcept
  subject: Reference
  encounter: Reference
  authoredOn: string
  requester: Reference
  reasonReference: Reference[]
  dosageInstruction: Dosage[]
}

export type FhirResource =
  Patient | Practitioner | Encounter | Condition | Observation | MedicationRequest

export type ResourceType = FhirResource['resourceType']

/**
 * Every type the generator writes, each to its own NDJSON file, in dependency order: a loader
 * that goes through the files in this order never writes a reference before its target.
 */
export const RESOURCE_TYPES: readonly ResourceType[] = [
  'Practitioner',
  'Patient',
  'Encounter',
  'Condition',
  'Observation',
  'MedicationRequest',
]

export interface GenerateOptions {
  /** Number of patients; each brings its own encounters, conditions, observations and orders. */
  patients: number
  /** Seed for every faker instance; the same seed always yields the same resources. */
  seed?: number
}

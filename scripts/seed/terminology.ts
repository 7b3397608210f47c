// Code systems and the LOINC / SNOMED CT / RxNorm / HL7 codes the seed data uses.
import type { CodeableConcept, Coding } from './types.ts'

export const SYSTEM = {
  loinc: 'http://loinc.org',
  snomed: 'http://snomed.info/sct',
  rxnorm: 'http://www.nlm.nih.gov/research/umls/rxnorm',
  ucum: 'http://unitsofmeasure.org',
  actCode: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
  participationType: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType',
  observationCategory: 'http://terminology.hl7.org/CodeSystem/observation-category',
  conditionClinical: 'http://terminology.hl7.org/CodeSystem/condition-clinical',
  conditionVerStatus: 'http://terminology.hl7.org/CodeSystem/condition-ver-status',
  conditionCategory: 'http://terminology.hl7.org/CodeSystem/condition-category',
  identifierType: 'http://terminology.hl7.org/CodeSystem/v2-0203',
  degree: 'http://terminology.hl7.org/CodeSystem/v2-0360',
  language: 'urn:ietf:bcp:47',
  mrn: 'http://hospital.example.org/mrn',
  ssn: 'http://hl7.org/fhir/sid/us-ssn',
  npi: 'http://hl7.org/fhir/sid/us-npi',
} as const

/** One coding whose display doubles as text, keys in the order the seed page's example shows. */
export function concept(system: string, code: string, display: string): CodeableConcept {
  return { text: display, coding: [{ system, code, display }] }
}

/** A CodeableConcept with one bare coding and no text. */
export function codingOnly(system: string, code: string, display?: string): CodeableConcept {
  const coding: Coding = display === undefined ? { system, code } : { system, code, display }
  return { coding: [coding] }
}

export interface CodeDef {
  code: string
  display: string
}

export const ENCOUNTER_CLASS = {
  AMB: { system: SYSTEM.actCode, code: 'AMB', display: 'ambulatory' },
  EMER: { system: SYSTEM.actCode, code: 'EMER', display: 'emergency' },
  IMP: { system: SYSTEM.actCode, code: 'IMP', display: 'inpatient encounter' },
} as const satisfies Record<string, Coding>

export type EncounterClass = keyof typeof ENCOUNTER_CLASS

export const ENCOUNTER_TYPE = {
  checkUp: { code: '185349003', display: 'Encounter for check up (procedure)' },
  followUp: { code: '390906007', display: 'Follow-up encounter (procedure)' },
  symptom: { code: '185345009', display: 'Encounter for symptom (procedure)' },
  emergency: { code: '50849002', display: 'Emergency room admission (procedure)' },
  admission: { code: '32485007', display: 'Hospital admission (procedure)' },
} as const satisfies Record<string, CodeDef>

/** Units as UCUM code = unit, the way the seed page's example writes `%`. */
export interface ObservationDef extends CodeDef {
  unit: string
}

export const LAB = {
  hba1c: { code: '4548-4', display: 'Hemoglobin A1c/Hemoglobin.total in Blood', unit: '%' },
  glucose: { code: '2339-0', display: 'Glucose [Mass/volume] in Blood', unit: 'mg/dL' },
} as const satisfies Record<string, ObservationDef>

export const VITAL = {
  bodyWeight: { code: '29463-7', display: 'Body weight', unit: 'kg' },
  heartRate: { code: '8867-4', display: 'Heart rate', unit: '/min' },
  bodyTemperature: { code: '8310-5', display: 'Body temperature', unit: 'Cel' },
  bloodPressure: {
    code: '85354-9',
    display: 'Blood pressure panel with all children optional',
    unit: 'mm[Hg]',
  },
  systolic: { code: '8480-6', display: 'Systolic blood pressure', unit: 'mm[Hg]' },
  diastolic: { code: '8462-4', display: 'Diastolic blood pressure', unit: 'mm[Hg]' },
} as const satisfies Record<string, ObservationDef>

export const CONDITION = {
  diabetes: { code: '44054006', display: 'Diabetes mellitus type 2 (disorder)' },
  prediabetes: { code: '15777000', display: 'Prediabetes (finding)' },
  hypertension: {
    code: '38341003',
    display: 'Hypertensive disorder, systemic arterial (disorder)',
  },
  hyperlipidemia: { code: '55822004', display: 'Hyperlipidemia (disorder)' },
  asthma: { code: '195967001', display: 'Asthma (disorder)' },
  bronchitis: { code: '10509002', display: 'Acute bronchitis (disorder)' },
  sinusitis: { code: '444814009', display: 'Viral sinusitis (disorder)' },
} as const satisfies Record<string, CodeDef>

export type ConditionKey = keyof typeof CONDITION

export interface MedicationDef extends CodeDef {
  dose: string
  frequency: number
  asNeeded: boolean
}

export const MEDICATION = {
  metformin: {
    code: '860975',
    display: '24 HR metformin hydrochloride 500 MG Extended Release Oral Tablet',
    dose: 'Take 1 tablet by mouth once daily with the evening meal',
    frequency: 1,
    asNeeded: false,
  },
  lisinopril: {
    code: '314076',
    display: 'lisinopril 10 MG Oral Tablet',
    dose: 'Take 1 tablet by mouth once daily',
    frequency: 1,
    asNeeded: false,
  },
  amlodipine: {
    code: '197361',
    display: 'amlodipine 5 MG Oral Tablet',
    dose: 'Take 1 tablet by mouth once daily',
    frequency: 1,
    asNeeded: false,
  },
  simvastatin: {
    code: '314231',
    display: 'simvastatin 10 MG Oral Tablet',
    dose: 'Take 1 tablet by mouth once daily at bedtime',
    frequency: 1,
    asNeeded: false,
  },
  albuterol: {
    code: '745679',
    display: '200 ACTUAT albuterol 0.09 MG/ACTUAT Metered Dose Inhaler',
    dose: 'Inhale 2 puffs every 4 to 6 hours as needed for wheezing',
    frequency: 4,
    asNeeded: true,
  },
  acetaminophen: {
    code: '313782',
    display: 'acetaminophen 325 MG Oral Tablet',
    dose: 'Take 2 tablets by mouth every 6 hours as needed for pain or fever',
    frequency: 4,
    asNeeded: true,
  },
} as const satisfies Record<string, MedicationDef>

export type MedicationKey = keyof typeof MEDICATION

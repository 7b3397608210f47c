// Which contexts' scopes count for a token (SMART App Launch 2, scopes-and-launch-context.html):
// `system/` always, `user/` only for a token acting for a User, `patient/` only with a patient in
// context and then inside its compartment; they add up, an unrestricted one winning. Every member
// type of the Patient compartment can be restricted to it (no member is refused for an unsupported
// parameter), and a patient-scoped request costs no more D1 round trips than an unrestricted one.

import { describe, expect, it } from 'vitest'
import { parseResourceScope, type ResourceScope } from '../../src/config/scopes.ts'
import { COMPARTMENTS } from '../../src/fhir/definitions/compartments.generated.ts'
import { compartmentAlternatives } from '../../src/fhir/search/compartment.ts'
import { restrictionFilters } from '../../src/fhir/search/restrict.ts'
import { TokenScopes } from '../../src/policy/scope-check.ts'
import { bearerFor, call, roundTrips } from './helpers.ts'
import { patientToken } from './patient-scope-helpers.ts'
import { expectInsufficientScope, privateTag, tokenClient } from './scope-helpers.ts'

const parsed = (scope: string): ResourceScope[] =>
  scope.split(' ').map((s) => parseResourceScope(s)!)

describe('the contexts that count', () => {
  it('user/ scopes grant only to a token acting for a User, as system/ ones do', () => {
    const scopes = parsed('user/Observation.rs user/Patient.r?gender=female')
    expect(() => new TokenScopes(scopes).access('Observation', 's')).toThrow(/Insufficient scope/)
    expect(() => new TokenScopes(scopes, { patient: 'p1' }).access('Observation', 's')).toThrow()
    const user = new TokenScopes(scopes, { user: 'u1' })
    expect(user.access('Observation', 's')).toEqual({ kind: 'all' })
    expect(user.readsAll('Observation')).toBe(true)
    expect(user.restrictions('Patient', 'r')).toEqual([[['gender', 'female']]])
  })

  it('patient/ scopes grant only with a patient, as the compartment', () => {
    const scopes = parsed('patient/Observation.rs?category=laboratory patient/Patient.r')
    expect(() => new TokenScopes(scopes, { user: 'u1' }).access('Observation', 's')).toThrow()
    const patient = new TokenScopes(scopes, { patient: 'p1' })
    expect(patient.restrictions('Observation', 's')).toEqual([
      [
        ['_compartment', 'Patient/p1'],
        ['category', 'laboratory'],
      ],
    ])
    expect(patient.restrictions('Patient', 'r')).toEqual([[['_compartment', 'Patient/p1']]])
    expect(compartmentAlternatives('Patient', 'Patient/p1')).toEqual([
      [['_id', 'p1']],
      [['link', 'Patient/p1']],
    ])
    expect(compartmentAlternatives('Observation', 'Patient/p1')).toEqual([
      [['subject', 'Patient/p1']],
      [['performer', 'Patient/p1']],
    ])
    expect(patient.readsAll('Patient')).toBe(false)
    expect(() => patient.access('Patient', 's')).toThrow()
  })

  it('an unrestricted system/ or user/ scope wins over the compartment; restricted ones add up', () => {
    const both = new TokenScopes(parsed('patient/Observation.rs user/Observation.s'), {
      user: 'u1',
      patient: 'p1',
    })
    expect(both.restrictions('Observation', 's')).toBeUndefined()
    expect(both.restrictions('Observation', 'r')).toEqual([[['_compartment', 'Patient/p1']]])
    const mixed = new TokenScopes(
      parsed('patient/Encounter.rs system/Encounter.rs?status=planned'),
      {
        patient: 'p1',
      }
    )
    expect(mixed.restrictions('Encounter', 's')).toEqual([
      [['status', 'planned']],
      [['_compartment', 'Patient/p1']],
    ])
  })

  it('no patient/ access to `*` at once, nor to a type outside the compartment', () => {
    const scopes = new TokenScopes(parsed('patient/*.cruds'), { patient: 'p1' })
    expect(() => scopes.access('*', 's')).toThrow(/every resource type/)
    expect(() =>
      new TokenScopes(parsed('patient/*.rs'), { patient: 'a/b' }).access('Observation', 's')
    ).toThrow()
    const restrictions = scopes.restrictions('Practitioner', 'r')!
    expect(() =>
      restrictionFilters(new Map([['Practitioner', restrictions]]), 'r', 'https://fhir.test')
    ).toThrow(/Practitioner resources are not in it/)
    expect(compartmentAlternatives('Medication', 'Patient/p1')).toBeNull()
  })

  it('every member type of the Patient compartment can be restricted to it', () => {
    const members = Object.keys(COMPARTMENTS.Patient!)
    expect(members.length).toBeGreaterThan(60)
    for (const type of members) {
      const restrictions = [[['_compartment', 'Patient/p1']] as const]
      for (const letter of ['r', 's'] as const) {
        expect(() =>
          restrictionFilters(new Map([[type, restrictions]]), letter, 'https://fhir.test')
        ).not.toThrow()
      }
    }
  })
})

describe('over HTTP', () => {
  it('no written scope may carry _compartment: only the launch context makes it', () => {
    expect(parseResourceScope('system/Observation.rs?_compartment=Patient/p1')).toBeNull()
  })

  it('a user/ scope without a User grants nothing', async () => {
    const auth = (await bearerFor(await tokenClient('user-scope'), 'user/*.cruds')).auth
    await expectInsufficientScope(await call('GET', '/fhir/Observation?_count=1', { auth }))
    await expectInsufficientScope(await call('GET', '/fhir/Patient/x', { auth }))
  })

  it.each([
    ['search', '/fhir/Observation?_count=2'],
    ['read', '/fhir/Observation/{id}-obs'],
    ['own Patient', '/fhir/Patient/{id}'],
    ['include', '/fhir/Observation?_count=2&_include=Observation:subject:Patient'],
    ['chain', '/fhir/Observation?_count=2&subject:Patient.gender=female'],
    ['system search', '/fhir?_type=Observation,Patient&_count=2'],
  ])('a patient-scoped %s costs no extra D1 round trip', async (_name, template) => {
    const tag = privateTag('pcost')
    const id = `pcost-${crypto.randomUUID().slice(0, 8)}`
    await tag.put(
      { resourceType: 'Patient', id, gender: 'female' },
      {
        resourceType: 'Observation',
        id: `${id}-obs`,
        status: 'final',
        code: { text: 'cost' },
        subject: { reference: `Patient/${id}` },
      }
    )
    const path = template.replaceAll('{id}', id)
    const scoped = await patientToken('patient/*.rs', id)
    const open = (await bearerFor(await tokenClient('pcost'), 'system/*.cruds')).auth
    await roundTrips(path, scoped)
    await roundTrips(path, open)
    const openTrips = await roundTrips(path, open)
    expect(openTrips).toBeGreaterThan(0)
    expect(await roundTrips(path, scoped)).toBe(openTrips)
  })
})

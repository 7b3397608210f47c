// Matcho DSL operators and their traps, as docs/access-policies.md#matcho describes them (after
// Aidbox's Matcho DSL reference): $enum, $one-of, $contains, $every, $not, $reference,
// $present-all and $length. Tests named "(our choice)" pin behaviour that Aidbox leaves open
// (docs/aidbox.md#where-aidbox-is-silent).
import { describe, expect, it } from 'vitest'
import { expectInvalid, m } from './policy-helpers.ts'

describe('matcho: $enum (docs/access-policies.md#matcho)', () => {
  const pattern = { 'request-method': { $enum: ['get', 'post'] } }

  it('matches one of the listed values', () => {
    expect(m(pattern, { 'request-method': 'post' })).toBe(true)
    expect(m(pattern, { 'request-method': 'put' })).toBe(false)
    expect(m(pattern, {})).toBe(false)
  })

  it('compares numbers and booleans strictly and never matches containers', () => {
    expect(m({ a: { $enum: [1, true] } }, { a: 1 })).toBe(true)
    expect(m({ a: { $enum: [1, true] } }, { a: '1' })).toBe(false)
    expect(m({ a: { $enum: ['get'] } }, { a: ['get'] })).toBe(false)
  })

  it('rejects a non-array, an empty array, or a non-primitive value', () => {
    expectInvalid({ a: { $enum: 'get' } }, 'matcho.a.$enum', /non-empty array/)
    expectInvalid({ a: { $enum: [] } }, 'matcho.a.$enum', /non-empty array/)
    expectInvalid({ a: { $enum: ['a', { b: 1 }] } }, 'matcho.a.$enum[1]', /strings, numbers/)
  })
})

describe('matcho: $one-of (docs/access-policies.md#matcho)', () => {
  const pattern = { a: { '$one-of': [{ b: 'present?' }, { c: 'present?' }] } }

  it('matches when any alternative matches', () => {
    expect(m(pattern, { a: { c: 5 } })).toBe(true)
    expect(m(pattern, { a: { d: 5 } })).toBe(false)
    expect(m(pattern, { a: { b: null } })).toBe(false)
  })

  it('mixes strings and regexes as alternatives (docs policy example)', () => {
    const uri = { uri: { '$one-of': ['/Patient', '#/Patient/[^/]+$'] } }
    expect(m(uri, { uri: '/Patient/pt-1' })).toBe(true)
    expect(m(uri, { uri: '/Patient' })).toBe(true)
    expect(m(uri, { uri: '/Patient/pt-1/_history' })).toBe(false)
  })

  it('rejects $one-of sharing its object with other keys (docs incorrect example)', () => {
    const params = { 'resource/type': 'Patient', '$one-of': [{ name: 'present?' }] }
    expectInvalid({ params }, 'matcho.params', /\$one-of must not share an object.*resource\/type/)
  })

  it('rejects an empty or non-array $one-of', () => {
    expectInvalid({ a: { '$one-of': [] } }, 'matcho.a.$one-of', /non-empty array/)
    expectInvalid({ a: { '$one-of': { b: 1 } } }, 'matcho.a.$one-of', /non-empty array/)
  })
})

describe('matcho: $contains and $every (docs/access-policies.md#matcho)', () => {
  it('$contains matches when one element matches a pattern object', () => {
    const pattern = { type: { $contains: { system: 'loinc' } } }
    expect(m(pattern, { type: [{ system: 'snomed' }, { system: 'loinc' }] })).toBe(true)
    expect(m(pattern, { type: [{ system: 'snomed' }] })).toBe(false)
  })

  it('$contains takes a primitive and needs an array (our choice)', () => {
    const pattern = { user: { department: { $contains: 'inpatient' } } }
    expect(m(pattern, { user: { department: ['outpatient', 'inpatient'] } })).toBe(true)
    expect(m(pattern, { user: { department: 'inpatient' } })).toBe(false)
    expect(m(pattern, { user: {} })).toBe(false)
  })

  it('$every needs every element to match', () => {
    const pattern = { col: { $every: { foo: 'bar' } } }
    expect(m(pattern, { col: [{ foo: 'bar' }, { foo: 'bar', baz: 'quux' }] })).toBe(true)
    expect(m(pattern, { col: [{ foo: 'bar' }, { foo: 'baz' }] })).toBe(false)
  })

  it('$every does not pass vacuously on a missing value (our choice)', () => {
    expect(m({ col: { $every: { foo: 'bar' } } }, {})).toBe(false)
  })
})

describe('matcho: $not (docs/access-policies.md#matcho)', () => {
  it('negates a pattern', () => {
    const pattern = { message: { $not: { status: 'private' } } }
    expect(m(pattern, { message: { status: 'public' } })).toBe(true)
    expect(m(pattern, { message: { status: 'private' } })).toBe(false)
  })

  it('passes on a missing key (Aidbox trap: anonymous users pass user: {$not: …})', () => {
    const policy = {
      'request-method': 'delete',
      uri: '#^/Patient.*$',
      user: { $not: { data: { role: 'guest' } } },
    }
    expect(m(policy, { 'request-method': 'delete', uri: '/Patient/1' })).toBe(true)
    const guest = { data: { role: 'guest' } }
    expect(m(policy, { 'request-method': 'delete', uri: '/Patient/1', user: guest })).toBe(false)
  })

  it('combines with plain keys, all of which must hold', () => {
    const pattern = { a: { x: 1, $not: { y: 2 } } }
    expect(m(pattern, { a: { x: 1, y: 3 } })).toBe(true)
    expect(m(pattern, { a: { x: 1, y: 2 } })).toBe(false)
    expect(m(pattern, { a: { x: 0, y: 3 } })).toBe(false)
  })
})

describe('matcho: $reference (docs/access-policies.md#matcho)', () => {
  const pattern = { resource: { patient: { $reference: { id: '.user.data.patient_id' } } } }
  const user = { data: { patient_id: 'pid' } }

  it('parses a FHIR Reference into {resourceType, id}', () => {
    expect(m(pattern, { user, resource: { patient: { reference: 'Patient/pid' } } })).toBe(true)
    expect(m(pattern, { user, resource: { patient: { reference: 'Patient/other' } } })).toBe(false)
  })

  it('parses a "Type/id" string and an Aidbox-format reference', () => {
    const typed = { $reference: { resourceType: 'Patient', id: 'pid' } }
    expect(m({ s: typed }, { s: 'Patient/pid' })).toBe(true)
    expect(m({ s: typed }, { s: 'Group/pid' })).toBe(false)
    expect(m({ s: typed }, { s: { resourceType: 'Patient', id: 'pid' } })).toBe(true)
    expect(m({ s: typed }, { s: 'Patient/pid/_history/2' })).toBe(true)
  })

  it('keeps a non-relative reference as {uri} (our choice)', () => {
    const uri = 'http://other/fhir/Patient/pid'
    expect(m({ s: { $reference: { uri } } }, { s: uri })).toBe(true)
    expect(m({ s: { $reference: { id: 'pid' } } }, { s: uri })).toBe(false)
  })
})

describe('matcho: $present-all and $length (docs/access-policies.md#matcho)', () => {
  const pattern = {
    resource: {
      $length: 2,
      '$present-all': [{ resourceType: 'Patient' }, { resourceType: 'Encounter' }],
    },
  }

  it('matches when every listed pattern occurs, in any order, with the right length', () => {
    const resources = [{ resourceType: 'Encounter', id: 'e' }, { resourceType: 'Patient' }]
    expect(m(pattern, { resource: resources })).toBe(true)
  })

  it('fails when one listed element is absent or the length differs', () => {
    expect(m(pattern, { resource: [{ resourceType: 'Patient' }, { resourceType: 'Group' }] })).toBe(
      false
    )
    const three = [{ resourceType: 'Patient' }, { resourceType: 'Encounter' }, {}]
    expect(m(pattern, { resource: three })).toBe(false)
  })

  it('$length alone checks an array length and fails on non-arrays', () => {
    expect(m({ a: { $length: 1 } }, { a: ['x'] })).toBe(true)
    expect(m({ a: { $length: 1 } }, { a: 'x' })).toBe(false)
  })

  it('rejects a negative or fractional $length and an empty $present-all', () => {
    expectInvalid({ a: { $length: -1 } }, 'matcho.a.$length', /non-negative integer/)
    expectInvalid({ a: { $length: 1.5 } }, 'matcho.a.$length', /non-negative integer/)
    expectInvalid({ a: { '$present-all': [] } }, 'matcho.a.$present-all', /non-empty array/)
  })
})

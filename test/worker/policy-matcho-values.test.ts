// Matcho DSL values, as docs/access-policies.md#matcho describes them (after Aidbox's Matcho DSL
// reference): objects, positional arrays, #regex strings, .path references into the request,
// special string literals and scalars. Tests named "(our choice)" pin behaviour that Aidbox leaves
// open (docs/aidbox.md#where-aidbox-is-silent).
import { describe, expect, it } from 'vitest'
import { expectInvalid, m } from './policy-helpers.ts'

describe('matcho: objects (docs/access-policies.md#matcho)', () => {
  it('matches a subset of keys and ignores extra keys', () => {
    expect(m({ x: 1 }, { x: 1, y: 2 })).toBe(true)
    expect(m({ x: 1 }, { z: 1 })).toBe(false)
  })

  it('recurses into nested objects', () => {
    expect(m({ a: { b: 5 } }, { a: { b: 5, c: 6 }, d: 7 })).toBe(true)
    expect(m({ a: { b: 5 } }, { a: { c: 5 } })).toBe(false)
    expect(m({ a: { b: 5 } }, { b: { a: 5 } })).toBe(false)
  })

  it('does not match an object pattern against a missing value, a string or an array (our choice)', () => {
    expect(m({ a: {} }, { a: { any: 1 } })).toBe(true)
    expect(m({ a: {} }, {})).toBe(false)
    expect(m({ a: { b: 'nil?' } }, { a: 'text' })).toBe(false)
    expect(m({ a: { 0: 'x' } }, { a: ['x'] })).toBe(false)
  })

  it('reads own keys only, so built-in names like constructor are missing', () => {
    expect(m({ constructor: 'present?' }, {})).toBe(false)
    expect(m({ constructor: 'present?' }, { constructor: 'c' })).toBe(true)
  })
})

describe('matcho: arrays are positional prefixes (docs/access-policies.md#matcho)', () => {
  it('matches [1, 2] against [1, 2] and [1, 2, 3]', () => {
    expect(m({ a: [1, 2] }, { a: [1, 2] })).toBe(true)
    expect(m({ a: [1, 2] }, { a: [1, 2, 3] })).toBe(true)
  })

  it('does not match [2, 1], a shorter array, or a non-array', () => {
    expect(m({ a: [1, 2] }, { a: [2, 1] })).toBe(false)
    expect(m({ a: [1, 2] }, { a: [1] })).toBe(false)
    expect(m({ a: [1] }, { a: 1 })).toBe(false)
  })

  it('matches elements as nested patterns', () => {
    expect(m({ role: [{ name: 'doctor' }] }, { role: [{ name: 'doctor', id: 'r1' }] })).toBe(true)
    expect(m({ role: [{ name: 'doctor' }] }, { role: [{ name: 'nurse' }] })).toBe(false)
  })
})

describe('matcho: #regex strings (docs/access-policies.md#matcho)', () => {
  it('matches "#\\d+" against "2345" but not "abc"', () => {
    expect(m({ a: '#\\d+' }, { a: '2345' })).toBe(true)
    expect(m({ a: '#\\d+' }, { a: 'abc' })).toBe(false)
  })

  it('searches rather than fully matches: #/Encounter.* matches /fhir/Encounter', () => {
    expect(m({ uri: '#/Encounter.*' }, { uri: '/fhir/Encounter' })).toBe(true)
    expect(m({ uri: '#^/Encounter.*' }, { uri: '/fhir/Encounter' })).toBe(false)
  })

  it('does not match a non-string value', () => {
    expect(m({ a: '#\\d+' }, { a: 2345 })).toBe(false)
    expect(m({ a: '#.*' }, {})).toBe(false)
  })

  it("turns a leading Java (?i) flag, also after ^, into a JS flag (Aidbox's example; our choice)", () => {
    const pattern = { q: '#^(?i)(?!.*(INSERT|DELETE)).*' }
    expect(m(pattern, { q: 'select 1' })).toBe(true)
    expect(m(pattern, { q: 'delete from x' })).toBe(false)
    expect(m({ q: '#(?i)patient' }, { q: 'PATIENT' })).toBe(true)
    expect(m({ q: '#patient' }, { q: 'PATIENT' })).toBe(false)
  })

  it('reads "#/user/id" as a regex, not as a reference (docs/access-policies.md#matcho)', () => {
    const request = { user: { id: 'u1' }, uri: '/x/user/id' }
    expect(m({ uri: '#/user/id' }, request)).toBe(true)
    expect(m({ uri: '#/user/id' }, { user: { id: 'u1' }, uri: 'u1' })).toBe(false)
  })

  it('rejects an invalid regex at compile time', () => {
    expectInvalid({ uri: '#[' }, 'matcho.uri', /invalid regex "#\["/)
  })

  it('rejects Java-only syntax instead of silently matching letters (\\A) (our choice)', () => {
    expectInvalid({ uri: '#\\A/fhir' }, 'matcho.uri', /invalid regex/)
    expectInvalid({ uri: '#(?x)a b' }, 'matcho.uri', /inline flag \(\?x\)/)
  })
})

describe('matcho: .path references into the request (docs/access-policies.md#matcho)', () => {
  it('matches when the value equals the referenced one', () => {
    const request = { user: { id: 1 }, params: { user_id: 1 } }
    expect(m({ params: { user_id: '.user.id' } }, request)).toBe(true)
    const other = { ...request, params: { user_id: 2 } }
    expect(m({ params: { user_id: '.user.id' } }, other)).toBe(false)
  })

  it('passes when both sides are missing (Aidbox trap: null = null)', () => {
    expect(m({ params: { patient: '.user.data.patient_id' } }, { params: {} })).toBe(true)
    // params itself missing: an object pattern needs an object
    expect(m({ params: { patient: '.user.data.patient_id' } }, {})).toBe(false)
  })

  it('fails when only one side is missing', () => {
    expect(m({ params: { p: '.user.data.patient_id' } }, { params: { p: 'pt-1' } })).toBe(false)
    const request = { params: {}, user: { data: { patient_id: 'pt-1' } } }
    expect(m({ params: { p: '.user.data.patient_id' } }, request)).toBe(false)
  })

  it('indexes arrays with numeric segments (.session.role.0.links.practitioner.id)', () => {
    const session = { role: [{ links: { practitioner: { id: 'pr-1' } } }] }
    const pattern = { params: { practitioner: '.session.role.0.links.practitioner.id' } }
    expect(m(pattern, { session, params: { practitioner: 'pr-1' } })).toBe(true)
    expect(m(pattern, { session, params: { practitioner: 'pr-2' } })).toBe(false)
  })

  it('compares without type coercion and deeply for objects', () => {
    expect(m({ a: '.b' }, { a: '1', b: 1 })).toBe(false)
    expect(m({ a: '.b' }, { a: { x: [1, 2] }, b: { x: [1, 2] } })).toBe(true)
    expect(m({ a: '.b' }, { a: { x: [1, 2] }, b: { x: [1, 2], y: 3 } })).toBe(false)
  })

  it('resolves against a separate context when one is given ($matcho endpoint)', () => {
    expect(m({ a: '.my-value' }, { a: 'value' }, { 'my-value': 'value' })).toBe(true)
    expect(m({ a: '.my-value' }, { a: 'value' }, { 'my-value': 'other' })).toBe(false)
  })

  it('rejects a path with an empty segment', () => {
    expectInvalid({ a: '.user..id' }, 'matcho.a', /invalid reference/)
  })
})

describe('matcho: special string literals (docs/access-policies.md#matcho)', () => {
  it('present? matches any non-null value and not a missing one', () => {
    expect(m({ a: 'present?' }, { a: 5 })).toBe(true)
    expect(m({ a: 'present?' }, { a: { b: 6 } })).toBe(true)
    expect(m({ a: 'present?' }, { a: false })).toBe(true)
    expect(m({ a: 'present?' }, { b: 5 })).toBe(false)
    expect(m({ a: 'present?' }, { a: null })).toBe(false)
  })

  it('nil? matches missing and null but not a value', () => {
    expect(m({ _include: 'nil?' }, {})).toBe(true)
    expect(m({ _include: 'nil?' }, { _include: null })).toBe(true)
    expect(m({ _include: 'nil?' }, { _include: 'Patient:org' })).toBe(false)
    expect(m({ _include: 'nil?' }, { _include: false })).toBe(false)
  })

  it('not-blank? matches a string with non-space characters only (our choice: blank = white space)', () => {
    expect(m({ a: 'not-blank?' }, { a: 'x' })).toBe(true)
    expect(m({ a: 'not-blank?' }, { a: '' })).toBe(false)
    expect(m({ a: 'not-blank?' }, { a: '   ' })).toBe(false)
    expect(m({ a: 'not-blank?' }, { a: 5 })).toBe(false)
    expect(m({ a: 'not-blank?' }, {})).toBe(false)
  })
})

describe('matcho: scalars compare by value (docs/access-policies.md#matcho)', () => {
  it('compares numbers, booleans and strings exactly, without coercion', () => {
    expect(m({ n: 10 }, { n: 10 })).toBe(true)
    expect(m({ n: 10 }, { n: '10' })).toBe(false)
    expect(m({ n: '10' }, { n: 10 })).toBe(false)
    expect(m({ b: true }, { b: true })).toBe(true)
    expect(m({ b: true }, { b: 'true' })).toBe(false)
    expect(m({ b: false }, {})).toBe(false)
    expect(m({ 'request-method': 'get' }, { 'request-method': 'GET' })).toBe(false)
  })

  it('treats a null pattern like nil?', () => {
    expect(m({ a: null }, {})).toBe(true)
    expect(m({ a: null }, { a: 0 })).toBe(false)
  })
})

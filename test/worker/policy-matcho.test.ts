// Matcho DSL rules, traps and save-time validation, as docs/access-policies.md#matcho describes
// them (after Aidbox's Matcho DSL reference). Tests named "(our choice)" pin behaviour that Aidbox
// leaves open (docs/aidbox.md#where-aidbox-is-silent).
import { describe, expect, it } from 'vitest'
import { PolicyValidationError } from '../../src/policy/engines/errors.ts'
import { compileMatcho, matches } from '../../src/policy/engines/matcho.ts'
import { MAX_REGEX_INPUT, nestedRepetition } from '../../src/policy/engines/regex.ts'

/** Compiles `pattern` and matches it against `request` (which is also the reference context). */
function m(pattern: unknown, request: unknown, context?: unknown): boolean {
  return matches(compileMatcho(pattern), request, context ?? request)
}

/** Asserts that compiling fails with an issue at `path` whose message matches `message`. */
function expectInvalid(pattern: unknown, path: string, message: RegExp): void {
  let error: unknown
  try {
    compileMatcho(pattern)
  } catch (e) {
    error = e
  }
  expect(error).toBeInstanceOf(PolicyValidationError)
  const issues = (error as PolicyValidationError).issues
  expect(issues).toContainEqual({ path, message: expect.stringMatching(message) })
}

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

describe('matcho: validation (docs/access-policies.md#validation-when-saved)', () => {
  it('rejects unknown operators such as $regex and $present', () => {
    expectInvalid({ a: { $regex: 'x' } }, 'matcho.a.$regex', /unknown operator \$regex/)
    expectInvalid({ a: { $present: true } }, 'matcho.a.$present', /unknown operator/)
  })

  it('lists every problem of a pattern, each with its path', () => {
    let error: PolicyValidationError | undefined
    try {
      compileMatcho({ a: '#(', b: { $enum: [] }, c: { $nope: 1 } })
    } catch (e) {
      error = e as PolicyValidationError
    }
    const paths = error?.issues.map((i) => i.path)
    expect(paths).toEqual(['matcho.a', 'matcho.b.$enum', 'matcho.c.$nope'])
    expect(error?.message).toMatch(/^Invalid AccessPolicy: matcho\.a: invalid regex/)
  })

  it('rejects patterns nested deeper than 64 levels', () => {
    let deep: unknown = 'present?'
    for (let i = 0; i < 70; i++) deep = { a: deep }
    expect(() => compileMatcho(deep)).toThrow(/nested deeper than 64/)
    let ok: unknown = 'present?'
    for (let i = 0; i < 60; i++) ok = { a: ok }
    expect(() => compileMatcho(ok)).not.toThrow()
  })
})

describe('matcho: #regex ReDoS defences (our choice, docs/access-policies.md#matcho)', () => {
  it('rejects a repeated group that contains a repetition or an alternation (exponential backtracking)', () => {
    expectInvalid({ uri: '#^(a+)+$' }, 'matcho.uri', /ReDoS/)
    expectInvalid({ uri: '#(\\w+/)*x' }, 'matcho.uri', /ReDoS/)
    expectInvalid({ uri: '#(a|ab)*c' }, 'matcho.uri', /ReDoS/)
    expectInvalid({ uri: '#(?:x*y){2,}' }, 'matcho.uri', /ReDoS/)
    expectInvalid({ uri: '#((a)+b)*' }, 'matcho.uri', /ReDoS/)
  })

  it("accepts the usual shapes: anchored alternations, optional groups, classes, lookaheads, Aidbox's examples", () => {
    for (const re of [
      '^/fhir/(Patient|Observation)(/[^/]+)?$',
      '^(?i)(?!.*(INSERT|DELETE)).*',
      '/Encounter.*',
      '^/Patient/[^/]+$',
      '[(+*]+',
      '\\(a+\\)+',
      '(ab){2}',
      '(a+)?',
      '\\u{1F600}{2,}',
      '(?<name>x+)\\k<name>',
    ]) {
      expect(() => compileMatcho({ uri: `#${re}` }), re).not.toThrow()
    }
  })

  it('reports the offset of the offending group', () => {
    expect(nestedRepetition('^abc(d+)*')).toBe(4)
    expect(nestedRepetition('^abc(d+)?')).toBeUndefined()
  })

  it(`throws instead of searching a string longer than ${MAX_REGEX_INPUT} characters, so the policy denies`, () => {
    const compiled = compileMatcho({ q: '#x' })
    expect(matches(compiled, { q: `${'a'.repeat(MAX_REGEX_INPUT - 1)}x` })).toBe(true)
    expect(() => matches(compiled, { q: `${'a'.repeat(MAX_REGEX_INPUT)}x` })).toThrow(
      /4097 characters \(limit 4096\)/
    )
    // $not does not turn the error into a pass
    expect(() => matches(compileMatcho({ q: { $not: '#x' } }), { q: 'a'.repeat(5000) })).toThrow(
      /limit/
    )
  })
})

// Matcho save-time validation (docs/access-policies.md#validation-when-saved) and the #regex ReDoS
// defences (our choice, docs/access-policies.md#matcho): unknown operators, every problem listed
// with its path, a nesting limit, nested repetitions rejected, and a bound on the searched string.
import { describe, expect, it } from 'vitest'
import { PolicyValidationError } from '../../src/policy/engines/errors.ts'
import { compileMatcho, matches } from '../../src/policy/engines/matcho.ts'
import { MAX_REGEX_INPUT, nestedRepetition } from '../../src/policy/engines/regex.ts'
import { expectInvalid } from './policy-helpers.ts'

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

// Matcho save-time validation (docs/access-policies.md#validation-when-saved) and the #regex limits
// (our choice, docs/access-policies.md#limits): unknown operators, every problem listed with its
// path, a nesting limit, linear-time regexes (backreferences and huge automata rejected), and a
// bound on the searched string.
import { describe, expect, it } from 'vitest'
import { PolicyValidationError } from '../../src/policy/engines/errors.ts'
import { compileMatcho, matches } from '../../src/policy/engines/matcho.ts'
import { MAX_REGEX_INPUT } from '../../src/policy/engines/regex.ts'
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

describe('matcho: #regex runs in linear time (our choice, docs/access-policies.md#limits)', () => {
  it('accepts nested and stacked repetitions, and answers them on 4000 characters within 50 ms', () => {
    for (const re of ['^(a+)+$', '(\\w+/)*x', '(a|ab)*c', '(?:x*y){2,}', '((a)+b)*$', '.*.*=']) {
      const compiled = compileMatcho({ q: `#${re}` })
      const start = performance.now()
      matches(compiled, { q: `${'a'.repeat(4000)}!` })
      expect(performance.now() - start, re).toBeLessThan(50)
    }
  })

  it("accepts the usual shapes: anchored alternations, optional groups, classes, lookarounds, Aidbox's examples", () => {
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
      '(?<=/fhir/)Patient',
      '(?<name>x+)y',
    ]) {
      expect(() => compileMatcho({ uri: `#${re}` }), re).not.toThrow()
    }
  })

  it('rejects backreferences, which no linear-time matcher can run', () => {
    expectInvalid({ uri: '#(a)\\1' }, 'matcho.uri', /backreferences .* not supported/)
    expectInvalid({ uri: '#(?<n>x+)\\k<n>' }, 'matcho.uri', /backreferences/)
  })

  it('rejects a regex whose automaton would have more than 2000 states', () => {
    expectInvalid({ uri: '#(?:a{1,100}){1,100}' }, 'matcho.uri', /more than 2000 states/)
    expect(() => compileMatcho({ uri: '#(?:a{1,10}){1,10}' })).not.toThrow()
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

// FHIRPath evaluator for search parameter expressions: typed navigation (choice elements), the
// functions and operators R4 SearchParameter expressions use, refusal of other syntax.

import { describe, expect, it } from 'vitest'
import { compileFhirPath, evaluateFhirPath } from '../../src/fhir/index/fhirpath.ts'

const obs = (extra: Record<string, unknown>) => ({ resourceType: 'Observation', ...extra })
const values = (expr: string, resource: Record<string, unknown>) =>
  evaluateFhirPath(expr, resource).map((i) => i.value)
const typed = (expr: string, resource: Record<string, unknown>) => evaluateFhirPath(expr, resource)

describe('paths and choice elements (FHIRPath N1 §Path selection, FHIR R4 formats.html#choice)', () => {
  it('starts at the resource when the first name is its type, and yields nothing for another type', () => {
    const r = obs({ status: 'final' })
    expect(typed('Observation.status', r)).toEqual([{ value: 'final', type: 'code' }])
    expect(values('Patient.status', r)).toEqual([])
  })

  it('flattens repeating elements in document order', () => {
    const r = obs({ category: [{ text: 'a' }, { text: 'b' }] })
    expect(values('Observation.category.text', r)).toEqual(['a', 'b'])
  })

  it('reads a choice element from whichever typed JSON name is present (effectivePeriod)', () => {
    const period = { start: '2020-01-01' }
    expect(typed('Observation.effective', obs({ effectivePeriod: period }))).toEqual([
      { value: period, type: 'Period' },
    ])
    expect(typed('Observation.effective', obs({ effectiveDateTime: '2020' }))).toEqual([
      { value: '2020', type: 'dateTime' },
    ])
  })

  it('`value as Quantity`, `.as(Quantity)` and `.ofType(Quantity)` read valueQuantity only', () => {
    const q = { value: 1, unit: 'kg' }
    const withQuantity = obs({ valueQuantity: q })
    const withString = obs({ valueString: 'x' })
    for (const expr of [
      'Observation.value as Quantity',
      'Observation.value.as(Quantity)',
      'Observation.value.ofType(Quantity)',
      '(Observation.value as Quantity)',
    ]) {
      expect(typed(expr, withQuantity)).toEqual([{ value: q, type: 'Quantity' }])
      expect(values(expr, withString)).toEqual([])
    }
  })

  it('treats subtypes as their base in type tests: Age is a Quantity, code is a string', () => {
    const age = { value: 40, unit: 'a' }
    const condition = { resourceType: 'Condition', onsetAge: age }
    expect(values('Condition.onset.ofType(Quantity)', condition)).toEqual([age])
    expect(values('Condition.onset.ofType(Range)', condition)).toEqual([])
    const patient = { resourceType: 'Patient', gender: 'female' }
    expect(values('Patient.gender.ofType(string)', patient)).toEqual(['female'])
    expect(values('Patient.gender is code', patient)).toEqual([true])
  })

  it('accepts System type names (DateTime) for FHIR primitives in ofType()', () => {
    const r = obs({ valueDateTime: '2020' })
    expect(values('Observation.value.ofType(DateTime)', r)).toEqual(['2020'])
  })

  it('indexes a collection with [n] and types an inline resource by its resourceType', () => {
    const composition = { resourceType: 'Composition', id: 'c' }
    const bundle = { resourceType: 'Bundle', entry: [{ resource: composition }, { resource: {} }] }
    expect(typed('Bundle.entry[0].resource', bundle)).toEqual([
      { value: composition, type: 'Composition' },
    ])
    expect(values('Bundle.entry[5].resource', bundle)).toEqual([])
  })

  it('skips JSON null and missing elements', () => {
    const r = obs({ category: [null, { text: null }, {}] })
    expect(values('Observation.category.text', r)).toEqual([])
  })
})

describe('functions and operators', () => {
  it("where(system='phone') keeps the matching ContactPoints", () => {
    const telecom = [
      { system: 'phone', value: '1' },
      { system: 'email', value: 'e' },
    ]
    const p = { resourceType: 'Patient', telecom }
    expect(values("Patient.telecom.where(system='phone').value", p)).toEqual(['1'])
  })

  it('where(resolve() is Patient) keeps references whose type is Patient (relative, absolute, contained, type)', () => {
    const r = obs({
      contained: [{ resourceType: 'Patient', id: 'p1' }],
      subject: { reference: 'Patient/1' },
    })
    const keep = (ref: Record<string, unknown>) =>
      values('Observation.subject.where(resolve() is Patient)', { ...r, subject: ref }).length === 1
    expect(keep({ reference: 'Patient/1' })).toBe(true)
    expect(keep({ reference: 'Patient/1/_history/2' })).toBe(true)
    expect(keep({ reference: 'https://example.org/fhir/Patient/1' })).toBe(true)
    expect(keep({ reference: '#p1' })).toBe(true)
    expect(keep({ type: 'Patient', identifier: { value: 'x' } })).toBe(true)
    expect(keep({ reference: 'Group/1' })).toBe(false)
    expect(keep({ reference: '#missing' })).toBe(false)
    expect(keep({ display: 'someone' })).toBe(false)
  })

  it('unions branches and removes duplicates (FHIRPath N1 §union)', () => {
    const code = { text: 'x' }
    const r = obs({ code, component: [{ code: { text: 'y' } }] })
    expect(values('Observation.code | Observation.component.code | Observation.code', r)).toEqual([
      code,
      { text: 'y' },
    ])
  })

  it('evaluates R4 Patient-deceased `deceased.exists() and deceased != false` with three-valued logic', () => {
    const expr = 'Patient.deceased.exists() and Patient.deceased != false'
    expect(values(expr, { resourceType: 'Patient' })).toEqual([false])
    expect(values(expr, { resourceType: 'Patient', deceasedBoolean: false })).toEqual([false])
    expect(values(expr, { resourceType: 'Patient', deceasedBoolean: true })).toEqual([true])
    const died = { resourceType: 'Patient', deceasedDateTime: '2020-01-01' }
    expect(values(expr, died)).toEqual([true])
  })

  it('supports exists(), empty(), not(), first(), or', () => {
    const r = obs({ category: [{ text: 'a' }, { text: 'b' }] })
    expect(values('Observation.category.exists()', r)).toEqual([true])
    expect(values('Observation.code.empty()', r)).toEqual([true])
    expect(values('Observation.code.exists().not()', r)).toEqual([true])
    expect(values('Observation.category.first().text', r)).toEqual(['a'])
    expect(values("Observation.category.where(text='b' or text='c').text", r)).toEqual(['b'])
  })

  it("extension('url') selects extensions by url; their value[x] is typed by its JSON name", () => {
    const p = {
      resourceType: 'Patient',
      extension: [
        { url: 'http://example.org/a', valueCode: 'x' },
        { url: 'http://example.org/b', valueString: 'y' },
      ],
    }
    expect(typed("Patient.extension('http://example.org/a').value", p)).toEqual([
      { value: 'x', type: 'code' },
    ])
  })

  it('resolves %resource to the root inside composite sub-expressions', () => {
    const referenceSeq = { chromosome: { text: 'chr1' } }
    const seq = { resourceType: 'MolecularSequence', referenceSeq }
    expect(values('%resource.referenceSeq.chromosome.text', seq)).toEqual(['chr1'])
  })
})

describe('supported subset', () => {
  it.each([
    ['arithmetic', 'Observation.value + 1'],
    ['an unknown function', 'Patient.name.select(family)'],
    ['a date literal', 'Patient.birthDate > @2000'],
    ['an unknown variable', '%patient.name'],
    ['a dangling operator', 'Patient.name |'],
    ['unbalanced parentheses', '(Patient.name'],
  ])('refuses %s instead of guessing', (_label, expr) => {
    expect(compileFhirPath(expr)).toBeUndefined()
    expect(() => evaluateFhirPath(expr, { resourceType: 'Patient' })).toThrow()
  })

  it('compiles an expression once and reuses it', () => {
    const a = compileFhirPath('Patient.name.given')
    expect(a).toBeDefined()
    expect(compileFhirPath('Patient.name.given')).toBe(a)
  })
})

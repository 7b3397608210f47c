// Number, quantity and composite search (R4 search.html#number, #quantity, #composite): the search
// value's precision is a range (100 is [99.5, 100.5)); gt/lt/ge/le compare with the value exactly; a
// stored Range or comparator is an interval; value|system|code; composites pair values of one element.

import { beforeAll, describe, expect, it } from 'vitest'
import { fixture, suffix, type Fixture } from './search-helpers.ts'
import { json } from './helpers.ts'

const s = suffix()
const UCUM = 'http://unitsofmeasure.org'
const LOINC = 'http://loinc.org'
const id = (n: number) => `num${n}-${s}`
const ids = (...n: number[]) => n.map(id)
const risk = (n: number, prediction: Record<string, unknown>) => ({
  resourceType: 'RiskAssessment',
  id: id(n),
  status: 'final',
  subject: { reference: 'Patient/x' },
  prediction: [prediction],
})
const obs = (n: number, extra: Record<string, unknown>) => ({
  resourceType: 'Observation',
  id: id(n),
  status: 'final',
  code: { text: 'x' },
  ...extra,
})
const bp = (n: number, systolic: number, diastolic: number) =>
  obs(n, {
    code: { coding: [{ system: LOINC, code: '85354-9' }] },
    component: [
      {
        code: { coding: [{ system: LOINC, code: '8480-6' }] },
        valueQuantity: { value: systolic, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' },
      },
      {
        code: { coding: [{ system: LOINC, code: '8462-4' }] },
        valueQuantity: { value: diastolic, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' },
      },
    ],
  })

let f: Fixture
beforeAll(async () => {
  f = await fixture('number')
  await f.put(
    risk(1, { probabilityDecimal: 100 }),
    risk(2, { probabilityDecimal: 100.4 }),
    risk(3, { probabilityDecimal: 99.5 }),
    risk(4, { probabilityDecimal: 100.5 }),
    risk(5, { probabilityDecimal: 101 }),
    risk(6, { probabilityRange: { low: { value: 90 }, high: { value: 95 } } }),
    risk(7, { probabilityDecimal: 99.4 }),
    obs(11, { valueQuantity: { value: 5.4, unit: 'mg', system: UCUM, code: 'mg' } }),
    obs(12, { valueQuantity: { value: 5.4, unit: 'mg' } }),
    obs(13, { valueQuantity: { value: 5.4, unit: 'g', system: UCUM, code: 'g' } }),
    obs(14, { valueQuantity: { value: 5, comparator: '<', unit: 'mg', system: UCUM, code: 'mg' } }),
    obs(15, {
      code: { coding: [{ system: LOINC, code: '2345-7' }] },
      valueQuantity: { value: 5.4, unit: 'mg', system: UCUM, code: 'mg' },
    }),
    obs(16, {
      code: { coding: [{ system: LOINC, code: '2345-7' }] },
      valueCodeableConcept: { coding: [{ system: 'urn:x', code: 'high' }] },
    }),
    obs(17, { valueQuantity: { value: 100, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' } }),
    obs(18, { valueQuantity: { value: 7.7, unit: 'mcg', system: UCUM } }),
    bp(21, 120, 80),
    bp(22, 150, 95),
    bp(23, 95, 130)
  )
})

const probability = (q: string) => f.ids('RiskAssessment', `probability=${q}`)

describe('number: precision and prefixes (search.html#number)', () => {
  it('100 means [99.5, 100.5): 99.5 and 100.4 match, 100.5 does not', async () => {
    expect(await probability('100')).toEqual(ids(1, 2, 3))
  })
  it('100.0 narrows the range to [99.95, 100.05)', async () => {
    expect(await probability('100.0')).toEqual(ids(1))
  })
  it('1e2 has one significant figure: [50, 150) contains every value here, the Range too', async () => {
    expect(await probability('1e2')).toEqual(ids(1, 2, 3, 4, 5, 6, 7))
  })
  it('gt / ge / lt / le compare with exactly 100', async () => {
    expect(await probability('gt100')).toEqual(ids(2, 4, 5))
    expect(await probability('ge100')).toEqual(ids(1, 2, 4, 5))
    expect(await probability('lt100')).toEqual(ids(3, 6, 7))
    expect(await probability('le100')).toEqual(ids(1, 3, 6, 7))
  })
  it('ne is outside [99.5, 100.5); sa / eb start after / end before it', async () => {
    expect(await probability('ne100')).toEqual(ids(4, 5, 6, 7))
    expect(await probability('sa100')).toEqual(ids(4, 5))
    expect(await probability('eb100')).toEqual(ids(6, 7))
  })
  it('ap is within 10% of the value (a Range overlapping it counts)', async () => {
    expect(await probability('ap100')).toEqual(ids(1, 2, 3, 4, 5, 6, 7))
    expect(await probability('ap85')).toEqual(ids(6))
  })
  it('a stored Range 90..95 is less than 92 (some of it is)', async () => {
    expect(await probability('lt92')).toEqual(ids(6))
  })
  it('400 naming the parameter for a value that is not a number or a bad prefix', async () => {
    for (const bad of ['abc', 'xx100', '1..2']) {
      const res = await f.get('RiskAssessment', `probability=${bad}`)
      expect(res.status, bad).toBe(400)
      expect((await json(res)).issue[0].expression).toEqual(['probability'])
    }
  })
})

describe('quantity: number|system|code (search.html#quantity)', () => {
  const q = (v: string) => f.ids('Observation', `value-quantity=${encodeURIComponent(v)}`)
  it('a number alone matches any unit', async () => {
    expect(await q('5.4')).toEqual(ids(11, 12, 13, 15))
  })
  it('number|system|code matches that coded unit', async () => {
    expect(await q(`5.4|${UCUM}|mg`)).toEqual(ids(11, 15))
  })
  it('number||code matches the code or, without one, the unit in any system', async () => {
    expect(await q('5.4||mg')).toEqual(ids(11, 12, 15))
  })
  it('number||code matches the coded unit or the stated unit; number|system|code only the coded one (search.html#quantity)', async () => {
    expect(await q('100||mmHg')).toEqual(ids(17))
    expect(await q('100||mm[Hg]')).toEqual(ids(17))
    expect(await q(`100|${UCUM}|mm[Hg]`)).toEqual(ids(17))
    expect(await q(`100|${UCUM}|mmHg`)).toEqual([])
  })
  it('a quantity with a stated unit and no code matches number||unit, not number|system|unit (a unit is not a code)', async () => {
    expect(await q('7.7||mcg')).toEqual(ids(18))
    expect(await q(`7.7|${UCUM}|mcg`)).toEqual([])
  })
  it('a stored comparator (<5) is the interval below 5', async () => {
    expect(await q('lt5.2||mg')).toEqual(ids(14))
    expect(await q('gt5||mg')).toEqual(ids(11, 12, 15))
  })
  it('400 for a system without a code', async () => {
    expect(
      (await f.get('Observation', `value-quantity=${encodeURIComponent(`5.4|${UCUM}|`)}`)).status
    ).toBe(400)
  })
})

describe('composite: code$value from the same element (search.html#composite)', () => {
  const c = (param: string, v: string) => f.ids('Observation', `${param}=${encodeURIComponent(v)}`)
  it('code-value-quantity pairs Observation.code with its value', async () => {
    expect(await c('code-value-quantity', `${LOINC}|2345-7$5.4`)).toEqual(ids(15))
    expect(await c('code-value-quantity', '2345-7$gt5')).toEqual(ids(15))
    expect(await c('code-value-quantity', '2345-7$gt6')).toEqual([])
    expect(await c('code-value-quantity', `2345-7$5.4|${UCUM}|mg`)).toEqual(ids(15))
  })
  it('component-code-value-quantity pairs a component code only with its own value', async () => {
    expect(await c('component-code-value-quantity', `${LOINC}|8480-6$gt125`)).toEqual(ids(22))
    expect(await c('component-code-value-quantity', `${LOINC}|8462-4$gt125`)).toEqual(ids(23))
    expect(await c('component-code-value-quantity', '8480-6$lt100,8462-4$lt85')).toEqual(
      ids(21, 23)
    )
  })
  it('a composite quantity matches its stated unit too (search.html#composite, #quantity)', async () => {
    expect(await c('component-code-value-quantity', '8480-6$120||mmHg')).toEqual(ids(21))
    expect(await c('component-code-value-quantity', `8480-6$120|${UCUM}|mm[Hg]`)).toEqual(ids(21))
    expect(await c('component-code-value-quantity', `8480-6$120|${UCUM}|mmHg`)).toEqual([])
  })
  it('combo-code-value-quantity covers the Observation and its components', async () => {
    expect(await c('combo-code-value-quantity', '2345-7$5.4')).toEqual(ids(15))
    expect(await c('combo-code-value-quantity', '8480-6$150')).toEqual(ids(22))
  })
  it('code-value-concept pairs the code with a coded value', async () => {
    expect(await c('code-value-concept', '2345-7$urn:x|high')).toEqual(ids(16))
    expect(await c('code-value-concept', '2345-7$low')).toEqual([])
  })
  it('400 when a value does not have two components', async () => {
    const res = await f.get('Observation', 'code-value-quantity=2345-7')
    expect(res.status).toBe(400)
    expect((await json(res)).issue[0].expression).toEqual(['code-value-quantity'])
  })
})

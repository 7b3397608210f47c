// Index rows for the range-valued search types (src/fhir/index/extract.ts): dates as inclusive
// [lo, hi] ranges covering their written precision, numbers and quantities as the interval the value
// stands for (R4 search.html#number: precision applies to the search value, `gt100` means greater
// than exactly 100). Expected values are computed by hand with Date.UTC and the rules of the spec.

import { describe, expect, it } from 'vitest'
import { extractIndexRows } from '../../src/fhir/index/extract.ts'
import { searchParam } from '../../src/fhir/index/registry.ts'
import type { IndexRows } from '../../src/fhir/index/types.ts'

const MIN_DATE = -8640000000000000
const MAX_DATE = 8640000000000000

/** The rows of one parameter, without `sp`. */
function rowsOf(resource: Record<string, unknown>, code: string, kind: keyof IndexRows) {
  const sp = searchParam(String(resource.resourceType), code)!.sp
  const rows: Record<string, unknown>[] = extractIndexRows(resource)[kind]
  return rows.filter((r) => r.sp === sp).map(({ sp: _, ...rest }) => rest)
}

describe('date (search.html#date): [lo, hi] covers the precision of the value', () => {
  const birth = (birthDate: string) =>
    rowsOf({ resourceType: 'Patient', birthDate }, 'birthdate', 'date')
  const effective = (extra: Record<string, unknown>) =>
    rowsOf({ resourceType: 'Observation', ...extra }, 'date', 'date')
  const day = (y: number, m: number, d: number) => ({
    lo: Date.UTC(y, m, d),
    hi: Date.UTC(y, m, d + 1) - 1,
  })

  it('a year 2014 covers the whole year', () => {
    expect(birth('2014')).toEqual([{ lo: Date.UTC(2014, 0, 1), hi: Date.UTC(2015, 0, 1) - 1 }])
  })
  it('a partial date 2014-05 covers the whole month; 2014-12 ends at the year end', () => {
    expect(birth('2014-05')).toEqual([{ lo: Date.UTC(2014, 4, 1), hi: Date.UTC(2014, 5, 1) - 1 }])
    expect(birth('2014-12')).toEqual([{ lo: Date.UTC(2014, 11, 1), hi: Date.UTC(2015, 0, 1) - 1 }])
  })
  it('a full date covers the day; 2016-02-29 is a valid leap day', () => {
    expect(birth('2014-05-11')).toEqual([day(2014, 4, 11)])
    expect(birth('2016-02-29')).toEqual([day(2016, 1, 29)])
    expect(day(2016, 1, 29).hi).toBe(Date.UTC(2016, 2, 1) - 1)
  })
  it('invalid dates give no row', () => {
    expect(birth('2014-02-30')).toEqual([])
    expect(birth('2014-13')).toEqual([])
    expect(birth('yesterday')).toEqual([])
  })
  it('a dateTime with milliseconds covers that millisecond; the zone offset is applied', () => {
    const lo = Date.UTC(2014, 4, 11, 17, 39, 55, 513)
    expect(effective({ effectiveInstant: '2014-05-11T12:39:55.513-05:00' })).toEqual([
      { lo, hi: lo },
    ])
  })
  it('a dateTime without a zone is taken as UTC', () => {
    const lo = Date.UTC(2014, 4, 11, 12, 39, 55)
    expect(effective({ effectiveDateTime: '2014-05-11T12:39:55' })).toEqual([{ lo, hi: lo + 999 }])
  })
  it('a Period runs from the start lo to the end hi; an open side is unbounded', () => {
    const period = (p: Record<string, unknown>) => effective({ effectivePeriod: p })
    expect(period({ start: '2014-05-11', end: '2014-05-12T10:00:00Z' })).toEqual([
      { lo: Date.UTC(2014, 4, 11), hi: Date.UTC(2014, 4, 12, 10) + 999 },
    ])
    expect(period({ start: '2014-05-11' })).toEqual([{ lo: Date.UTC(2014, 4, 11), hi: MAX_DATE }])
    expect(period({ end: '2014' })).toEqual([{ lo: MIN_DATE, hi: Date.UTC(2015, 0, 1) - 1 }])
    expect(period({})).toEqual([])
  })
  it('a Timing gives one row per event', () => {
    const mr = {
      resourceType: 'MedicationRequest',
      dosageInstruction: [{ timing: { event: ['2014-05-11T08:00:00Z', '2014-05-12'] } }],
    }
    expect(rowsOf(mr, 'date', 'date')).toEqual([
      { lo: Date.UTC(2014, 4, 11, 8), hi: Date.UTC(2014, 4, 11, 8) + 999 },
      day(2014, 4, 12),
    ])
  })
})

describe('number (search.html#number): a value is the point [v, v]; a Range spans low..high', () => {
  const start = (start: number) =>
    rowsOf({ resourceType: 'MolecularSequence', variant: [{ start }] }, 'variant-start', 'number')
  const probability = (p: Record<string, unknown>) =>
    rowsOf({ resourceType: 'RiskAssessment', prediction: [p] }, 'probability', 'number')

  it('100 is the point [100, 100] (the stored value is exact; the search value carries precision)', () => {
    expect(start(100)).toEqual([{ v: 100, lo: 100, hi: 100 }])
  })
  it('decimals, negative values and exponent forms are points too', () => {
    expect(probability({ probabilityDecimal: 0.5 })).toEqual([{ v: 0.5, lo: 0.5, hi: 0.5 }])
    expect(probability({ probabilityDecimal: -2.5 })).toEqual([{ v: -2.5, lo: -2.5, hi: -2.5 }])
    expect(probability({ probabilityDecimal: 1e-7 })).toEqual([{ v: 1e-7, lo: 1e-7, hi: 1e-7 }])
  })
  it('a number that is not finite gives no row', () => {
    expect(probability({ probabilityDecimal: 'abc' })).toEqual([])
  })
  it('a Range spans low to high; an open side is unbounded', () => {
    const range = { probabilityRange: { low: { value: 0.1 }, high: { value: 0.2 } } }
    expect(probability(range)).toEqual([{ v: 0.1, lo: 0.1, hi: 0.2 }])
    expect(probability({ probabilityRange: { high: { value: 0.2 } } })).toEqual([
      { v: 0.2, lo: -Number.MAX_VALUE, hi: 0.2 },
    ])
  })
})

describe('quantity (search.html#quantity)', () => {
  const value = (q: Record<string, unknown>) =>
    rowsOf({ resourceType: 'Observation', valueQuantity: q }, 'value-quantity', 'quantity')
  const ucum = 'http://unitsofmeasure.org'

  it('uses the unit as code when code is missing, and "" for a missing system', () => {
    expect(value({ value: 5.4, unit: 'mmol/L' })).toEqual([
      { code: 'mmol/L', system: '', v: 5.4, lo: 5.4, hi: 5.4 },
    ])
  })
  it('indexes the stated unit as a code without system when it differs from the code (search.html#quantity)', () => {
    expect(value({ value: 100, unit: 'mmHg', system: ucum, code: 'mm[Hg]' })).toEqual([
      { code: 'mmHg', system: '', v: 100, lo: 100, hi: 100 },
      { code: 'mm[Hg]', system: ucum, v: 100, lo: 100, hi: 100 },
    ])
    expect(value({ value: 5.4, unit: 'mg', system: ucum, code: 'mg' })).toEqual([
      { code: 'mg', system: ucum, v: 5.4, lo: 5.4, hi: 5.4 },
    ])
  })
  it('a comparator opens the interval on its side', () => {
    expect(value({ value: 5, comparator: '<', code: 'g', system: ucum })).toEqual([
      { code: 'g', system: ucum, v: 5, lo: -Number.MAX_VALUE, hi: 5 },
    ])
    expect(value({ value: 5, comparator: '>=', code: 'g', system: ucum })).toEqual([
      { code: 'g', system: ucum, v: 5, lo: 5, hi: Number.MAX_VALUE },
    ])
  })
  it('a quantity without a value gives no row', () => {
    expect(value({ unit: 'g' })).toEqual([])
  })
  it('Money indexes its currency as an ISO 4217 code', () => {
    const invoice = { resourceType: 'Invoice', totalGross: { value: 10.5, currency: 'EUR' } }
    expect(rowsOf(invoice, 'totalgross', 'quantity')).toEqual([
      { code: 'EUR', system: 'urn:iso:std:iso:4217', v: 10.5, lo: 10.5, hi: 10.5 },
    ])
  })
  it('Age (a Quantity) and Range both index for Condition onset-age', () => {
    const onsetAge = { value: 40, code: 'a', system: ucum, unit: 'yr' }
    expect(rowsOf({ resourceType: 'Condition', onsetAge }, 'onset-age', 'quantity')).toEqual([
      { code: 'a', system: ucum, v: 40, lo: 40, hi: 40 },
      { code: 'yr', system: '', v: 40, lo: 40, hi: 40 },
    ])
    const onsetRange = {
      low: { value: 40, code: 'a', system: ucum, unit: 'yr' },
      high: { value: 50 },
    }
    expect(rowsOf({ resourceType: 'Condition', onsetRange }, 'onset-age', 'quantity')).toEqual([
      { code: 'a', system: ucum, v: 40, lo: 40, hi: 50 },
      { code: 'yr', system: '', v: 40, lo: 40, hi: 50 },
    ])
  })
})

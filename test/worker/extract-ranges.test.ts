// Index rows for the range-valued search types (src/fhir/search/extract.ts): date, number and
// quantity values as inclusive [lo, hi] ranges covering their written precision (R4 search.html).
// Expected values are computed by hand with Date.UTC and the precision rules of the spec.

import { describe, expect, it } from 'vitest'
import { extractIndexRows } from '../../src/fhir/search/extract.ts'
import { searchParam } from '../../src/fhir/search/registry.ts'
import type { IndexRows } from '../../src/fhir/search/types.ts'

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

describe('number (search.html#number): the range the written precision implies', () => {
  const start = (start: number) =>
    rowsOf({ resourceType: 'MolecularSequence', variant: [{ start }] }, 'variant-start', 'number')
  const probability = (p: Record<string, unknown>) =>
    rowsOf({ resourceType: 'RiskAssessment', prediction: [p] }, 'probability', 'number')

  it('100 covers [99.5, 100.5]', () => {
    expect(start(100)).toEqual([{ v: 100, lo: 99.5, hi: 100.5 }])
  })
  it('0.5 covers [0.45, 0.55]; negative values mirror; exponent forms count their digits', () => {
    expect(probability({ probabilityDecimal: 0.5 })).toEqual([{ v: 0.5, lo: 0.45, hi: 0.55 }])
    expect(probability({ probabilityDecimal: -2.5 })).toEqual([{ v: -2.5, lo: -2.55, hi: -2.45 }])
    expect(probability({ probabilityDecimal: 1e-7 })).toEqual([{ v: 1e-7, lo: 5e-8, hi: 1.5e-7 }])
  })
  it('JSON 1.0 arrives as 1, so it covers [0.5, 1.5] (its shortest decimal form)', () => {
    const one = JSON.parse('{"probabilityDecimal": 1.0}')
    expect(probability(one)).toEqual([{ v: 1, lo: 0.5, hi: 1.5 }])
  })
  it('a Range covers low.lo to high.hi', () => {
    const range = { probabilityRange: { low: { value: 0.1 }, high: { value: 0.2 } } }
    expect(probability(range)).toEqual([{ v: 0.1, lo: 0.05, hi: 0.25 }])
  })
})

describe('quantity (search.html#quantity)', () => {
  const value = (q: Record<string, unknown>) =>
    rowsOf({ resourceType: 'Observation', valueQuantity: q }, 'value-quantity', 'quantity')
  const ucum = 'http://unitsofmeasure.org'

  it('uses the unit as code when code is missing, and "" for a missing system', () => {
    expect(value({ value: 5.4, unit: 'mmol/L' })).toEqual([
      { code: 'mmol/L', system: '', v: 5.4, lo: 5.35, hi: 5.45 },
    ])
  })
  it('a comparator opens the range on its side', () => {
    expect(value({ value: 5, comparator: '<', code: 'g', system: ucum })).toEqual([
      { code: 'g', system: ucum, v: 5, lo: -Number.MAX_VALUE, hi: 5.5 },
    ])
  })
  it('a quantity without a value gives no row', () => {
    expect(value({ unit: 'g' })).toEqual([])
  })
  it('Money indexes its currency as an ISO 4217 code', () => {
    const invoice = { resourceType: 'Invoice', totalGross: { value: 10.5, currency: 'EUR' } }
    expect(rowsOf(invoice, 'totalgross', 'quantity')).toEqual([
      { code: 'EUR', system: 'urn:iso:std:iso:4217', v: 10.5, lo: 10.45, hi: 10.55 },
    ])
  })
  it('Age (a Quantity) and Range both index for Condition onset-age', () => {
    const onsetAge = { value: 40, code: 'a', system: ucum, unit: 'yr' }
    expect(rowsOf({ resourceType: 'Condition', onsetAge }, 'onset-age', 'quantity')).toEqual([
      { code: 'a', system: ucum, v: 40, lo: 39.5, hi: 40.5 },
    ])
    const onsetRange = { low: { value: 40, code: 'a', system: ucum }, high: { value: 50 } }
    expect(rowsOf({ resourceType: 'Condition', onsetRange }, 'onset-age', 'quantity')).toEqual([
      { code: 'a', system: ucum, v: 40, lo: 39.5, hi: 50.5 },
    ])
  })
})

// The load test's bookkeeping (scripts/load-test/record.ts): versions read from ETag and Location
// headers, the history check that fails the run on a gap or a lost acknowledged write, and the
// percentiles it prints.

import { describe, expect, it } from 'vitest'
import {
  etagVersion,
  historyProblems,
  parseLocation,
  percentile,
} from '../../scripts/load-test/record.ts'

describe('versions acknowledged by a write', () => {
  it('reads a weak or strong ETag, and nothing else', () => {
    expect(etagVersion('W/"3"')).toBe(3)
    expect(etagVersion('"12"')).toBe(12)
    expect(etagVersion('W/"x"')).toBeUndefined()
    expect(etagVersion(null)).toBeUndefined()
  })

  it('reads an absolute Location header and a Bundle entry relative one', () => {
    expect(parseLocation('http://127.0.0.1:8787/fhir/Patient/pt-1/_history/4')).toEqual([
      'Patient',
      'pt-1',
      4,
    ])
    expect(parseLocation('Observation/abc-1/_history/1')).toEqual(['Observation', 'abc-1', 1])
    expect(parseLocation('http://127.0.0.1:8787/fhir/Patient/pt-1')).toBeUndefined()
  })
})

describe('the history check', () => {
  it('accepts versions 1..n in any order with every acknowledged one present', () => {
    expect(historyProblems('Patient/p', [3, 1, 2], [1, 3, 3])).toEqual([])
  })

  it('reports a gap, a repeated version and a history that does not start at 1', () => {
    expect(historyProblems('Patient/p', [1, 3], [])).toEqual([
      'Patient/p: versions are not 1..2: 1,3',
    ])
    expect(historyProblems('Patient/p', [1, 2, 2], [])).toHaveLength(1)
    expect(historyProblems('Patient/p', [2, 3], [])).toHaveLength(1)
  })

  it('reports an acknowledged version the history lacks, and an empty history', () => {
    expect(historyProblems('Patient/p', [1, 2], [3])).toEqual([
      'Patient/p: acknowledged version 3 missing from history',
    ])
    expect(historyProblems('Patient/p', [], [1])).toEqual([
      'Patient/p: no history at all',
      'Patient/p: acknowledged version 1 missing from history',
    ])
  })
})

describe('percentiles', () => {
  it('are nearest-rank over the values', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i)
    expect(percentile(values, 50)).toBe(50)
    expect(percentile(values, 95)).toBe(95)
    expect(percentile([7], 95)).toBe(7)
    expect(percentile([], 50)).toBeNaN()
  })
})

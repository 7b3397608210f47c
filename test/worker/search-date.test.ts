// Date search (R4 search.html#date, #prefix): a value's implicit precision is a range (2014 is the whole
// year); `eq` means the search range contains the resource's range (not merely overlaps it); the
// other prefixes compare the two ranges as the spec's prefix table says. Also _lastUpdated and 400s.

import { beforeAll, describe, expect, it } from 'vitest'
import { fixture, suffix, type Fixture } from './search-helpers.ts'
import { json } from './helpers.ts'

const s = suffix()
const id = (n: number) => `date${n}-${s}`
const obs = (n: number, effective: Record<string, unknown>) => ({
  resourceType: 'Observation',
  id: id(n),
  status: 'final',
  code: { text: 'x' },
  ...effective,
})

// 1: a day; 2: a second in that day; 3: a Period over May; 4: the year 2014; 5: New Year 2015;
// 6: no date; 7: the last day of 2013; 8: 2017.
let f: Fixture
let created: number
beforeAll(async () => {
  f = await fixture('date')
  created = Date.now()
  await f.put(
    obs(1, { effectiveDateTime: '2014-05-11' }),
    obs(2, { effectiveDateTime: '2014-05-11T12:00:00Z' }),
    obs(3, { effectivePeriod: { start: '2014-05-01', end: '2014-05-31' } }),
    obs(4, { effectiveDateTime: '2014' }),
    obs(5, { effectiveDateTime: '2015-01-01T00:00:00Z' }),
    obs(6, {}),
    obs(7, { effectiveDateTime: '2013-12-31' }),
    obs(8, { effectiveDateTime: '2017-01-01' }),
    { resourceType: 'Patient', id: id(9), birthDate: '1970-03' }
  )
})

const ids = (...n: number[]) => n.map(id)
const date = (q: string) => f.ids('Observation', `date=${q}`)

describe('eq: the search range contains the resource range (search.html#date)', () => {
  it('a day matches values within that day, not a Period or year that merely overlaps it', async () => {
    expect(await date('2014-05-11')).toEqual(ids(1, 2))
    expect(await date('eq2014-05-11')).toEqual(ids(1, 2))
  })
  it('a month contains the days in it and a Period inside it', async () => {
    expect(await date('2014-05')).toEqual(ids(1, 2, 3))
  })
  it('a year contains everything in it, itself included', async () => {
    expect(await date('2014')).toEqual(ids(1, 2, 3, 4))
  })
  it('a dateTime to the second matches the value of that precision', async () => {
    expect(await date('2014-05-11T12:00:00Z')).toEqual(ids(2))
    expect(await date('2014-05-11T14:00:00%2B02:00')).toEqual(ids(2))
  })
  it('a partial date on the resource side (birthDate 1970-03) is not inside one day of it', async () => {
    expect(await f.ids('Patient', 'birthdate=1970')).toEqual(ids(9))
    expect(await f.ids('Patient', 'birthdate=1970-03')).toEqual(ids(9))
    expect(await f.ids('Patient', 'birthdate=1970-03-15')).toEqual([])
  })
})

describe('the other prefixes (search.html#prefix)', () => {
  it('ne: the search range does not contain the resource range', async () => {
    expect(await date('ne2014-05')).toEqual(ids(4, 5, 7, 8))
  })
  it('gt / lt: the range above / below the search value overlaps the resource range', async () => {
    expect(await date('gt2014-05-11')).toEqual(ids(3, 4, 5, 8))
    expect(await date('lt2014-05-11')).toEqual(ids(3, 4, 7))
  })
  it('ge / le: as gt / lt, or the search range contains the resource range', async () => {
    expect(await date('ge2014-05-11')).toEqual(ids(1, 2, 3, 4, 5, 8))
    expect(await date('le2014-05-11')).toEqual(ids(1, 2, 3, 4, 7))
  })
  it('sa / eb: the resource range starts after / ends before the search range', async () => {
    expect(await date('sa2014-05-31')).toEqual(ids(5, 8))
    expect(await date('eb2014-05-01')).toEqual(ids(7))
  })
  it('ap: overlaps the search range widened by 10% of its distance from now', async () => {
    // 2014 is more than 12 years ago, so at least 1.2 years either side: 2013-12-31 to 2015 match, 2017 not.
    expect(await date('ap2014-05-11')).toEqual(ids(1, 2, 3, 4, 5, 7))
  })
  it('two parameters bounding one range are matched by one value (ge and le together)', async () => {
    expect(await f.ids('Observation', 'date=ge2014-05-02&date=le2014-05-20')).toEqual(
      ids(1, 2, 3, 4)
    )
    expect(await f.ids('Observation', 'date=gt2014-06-01&date=lt2015-06-01')).toEqual(ids(4, 5))
  })
  it('comma is OR across date values', async () => {
    expect(await date('2013-12-31,2017')).toEqual(ids(7, 8))
  })
})

describe('_lastUpdated (search.html#lastUpdated)', () => {
  it('compares with the instant the server stamped', async () => {
    const before = new Date(created - 60_000).toISOString()
    expect(await f.ids('Observation', `_lastUpdated=gt${before}`)).toEqual(
      ids(1, 2, 3, 4, 5, 6, 7, 8)
    )
    expect(await f.ids('Observation', `_lastUpdated=lt${before}`)).toEqual([])
    const later = new Date(Date.now() + 3_600_000).toISOString()
    expect(
      await f.ids('Observation', `_lastUpdated=ge${before}&_lastUpdated=le${later}`)
    ).toHaveLength(8)
  })
})

describe('malformed dates are a 400 naming the parameter (search.html#errors)', () => {
  it.each([['2014-13'], ['xx2014'], ['2014-05-11T25:00Z'], ['May 2014'], ['2014-02-30']])(
    'date=%s',
    async (value) => {
      const res = await f.get('Observation', `date=${encodeURIComponent(value)}`)
      expect(res.status).toBe(400)
      const issue = (await json(res)).issue[0]
      expect(issue.expression).toEqual(['date'])
      expect(issue.diagnostics).toContain('date')
    }
  )
})

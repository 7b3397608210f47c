// Result control (R4 search.html#count, #_sort, http.html#paging): _count, keyset paging with
// next/previous links that stay right while data changes, _sort on several keys and on parameters
// with several values, and every query plan giving the same rows. The data is resultsFixture's
// (search-helpers.ts).

import { beforeAll, describe, expect, it } from 'vitest'
import {
  allPages,
  engineIds,
  fixture,
  orderedIds,
  resultsFixture,
  suffix,
  type Fixture,
} from './search-helpers.ts'
import { call, json } from './helpers.ts'

const s = suffix()
const p = (n: number) => `res${n}-${s}`

let f: Fixture
beforeAll(async () => {
  f = await resultsFixture(p)
})

describe('_count and paging (search.html#count, http.html#paging)', () => {
  it('defaults to 20, caps at 1000, and shows what it applied in the self link', async () => {
    expect((await f.search('Patient')).link[0].url).toContain('_count=20')
    expect((await f.search('Patient', '_count=5000')).link[0].url).toContain('_count=1000')
  })
  it('_count=0 returns no entries', async () => {
    const bundle = await f.search('Patient', '_count=0&_total=accurate')
    expect(bundle.entry).toBeUndefined()
    expect(bundle.total).toBe(7)
  })
  it('next links walk every match once; previous links walk back to the same pages', async () => {
    const first = await f.search('Patient', '_count=3')
    const pages = await allPages(f.auth, first.link[0].url.replace('https://fhir.test', ''))
    expect(pages.map((x) => x.length)).toEqual([3, 3, 1])
    expect(pages.flat().sort()).toEqual([1, 2, 3, 4, 5, 6, 7].map(p))
    // From the third page back to the second and then the first.
    const third = await json(
      await call('GET', nextOf(await json(await call('GET', nextOf(first), { auth: f.auth }))), {
        auth: f.auth,
      })
    )
    const second = await json(await call('GET', prevOf(third), { auth: f.auth }))
    expect(orderedIds(second)).toEqual(pages[1])
    const back = await json(await call('GET', prevOf(second), { auth: f.auth }))
    expect(orderedIds(back)).toEqual(pages[0])
    expect(back.link.find((l: any) => l.relation === 'previous')).toBeUndefined()
  })
  it('keeps going right when resources are added and deleted between pages (keyset, no OFFSET)', async () => {
    const g = await fixture('paging')
    const ids = [1, 2, 3, 4, 5].map((n) => `pg${n}-${s}`)
    await g.put(...ids.map((id) => ({ resourceType: 'Basic', id, code: { text: 'x' } })))
    const first = await g.search('Basic', '_count=2')
    expect(orderedIds(first)).toEqual(ids.slice(0, 2))
    // A new resource and a deleted one from the next page: no duplicates, nothing skipped.
    await g.put({ resourceType: 'Basic', id: `pg6-${s}`, code: { text: 'x' } })
    expect((await call('DELETE', `/fhir/Basic/${ids[2]}`, { auth: g.auth })).status).toBeLessThan(
      300
    )
    const rest = await allPages(g.auth, nextOf(first))
    expect(rest.flat()).toEqual([ids[3], ids[4], `pg6-${s}`])
  })
  it('400 for a cursor that was not made by this server or for another _sort', async () => {
    expect((await f.get('Patient', '_cursor=abc')).status).toBe(400)
    const sorted = await f.search('Patient', '_sort=birthdate&_count=2')
    const next = new URL(nextOf(sorted), 'https://fhir.test')
    next.searchParams.set('_sort', 'family')
    expect((await call('GET', next.pathname + next.search, { auth: f.auth })).status).toBe(400)
  })
})

function nextOf(bundle: any): string {
  return bundle.link.find((l: any) => l.relation === 'next').url.replace('https://fhir.test', '')
}
function prevOf(bundle: any): string {
  return bundle.link
    .find((l: any) => l.relation === 'previous')
    .url.replace('https://fhir.test', '')
}

describe('_sort (search.html#_sort)', () => {
  it('ascending by birthdate; resources without one come last', async () => {
    expect(orderedIds(await f.search('Patient', '_sort=birthdate'))).toEqual(
      [5, 3, 1, 4, 2, 7, 6].map(p)
    )
  })
  it('descending with -; missing values still last', async () => {
    expect(orderedIds(await f.search('Patient', '_sort=-birthdate'))).toEqual(
      [7, 2, 4, 1, 3, 5, 6].map(p)
    )
  })
  it('several keys: family, then birthdate descending', async () => {
    expect(orderedIds(await f.search('Patient', '_sort=family,-birthdate'))).toEqual(
      [2, 5, 1, 3, 4, 6, 7].map(p)
    )
  })
  it('_lastUpdated and _id', async () => {
    expect(orderedIds(await f.search('Patient', '_sort=_lastUpdated'))).toEqual(
      [1, 2, 3, 4, 5, 6, 7].map(p)
    )
    expect(orderedIds(await f.search('Patient', '_sort=-_id'))).toEqual(
      [7, 6, 5, 4, 3, 2, 1].map(p)
    )
  })
  it('pages through a sort with next links, each resource once, in order', async () => {
    const pages = await allPages(
      f.auth,
      `/fhir/Patient?_sort=-birthdate&_count=2&_tag=${encodeURIComponent(f.tag)}`
    )
    expect(pages.flat()).toEqual([7, 2, 4, 1, 3, 5, 6].map(p))
  })
  it('reports a key it cannot sort on and sorts by the others', async () => {
    const bundle = await f.search('Patient', '_sort=nonsense,birthdate')
    expect(orderedIds(bundle).slice(0, 2)).toEqual([5, 3].map(p))
    const outcome = bundle.entry.find((e: any) => e.search.mode === 'outcome')
    expect(outcome.resource.issue[0].diagnostics).toContain('nonsense')
    expect(bundle.link[0].url).toContain('_sort=birthdate')
  })
})

describe('query plans agree (docs/search.md "Query plans")', () => {
  // setLimit 0 forces the walks (index-ordered, type-ordered); a large one the whole-set reads.
  const tag = () => `_tag=${encodeURIComponent(f.tag)}`
  it.each([
    ['Patient', 'family=b'],
    ['Patient', 'birthdate=ge1975'],
    ['Patient', '_sort=birthdate'],
    ['Patient', '_sort=-birthdate&family=a,b,c'],
    ['Patient', '_sort=family'],
    ['Patient', '_sort=-family&birthdate=lt1990'],
    ['Observation', 'subject:Patient.family=baker'],
    ['Patient', '_has:Observation:subject:status=final'],
  ])('%s?%s gives the same rows whichever plan runs', async (type, query) => {
    const q = `${query}&${tag()}&_count=50`
    const walked = await engineIds(type, q, 0)
    const read = await engineIds(type, q, 1_000_000)
    expect(walked.length).toBeGreaterThan(0)
    expect(walked).toEqual(read)
    expect(await engineIds(type, q)).toEqual(read)
  })
})

describe('sorting on a parameter with several values (search.html#_sort)', () => {
  // Ascending uses each resource's lowest value, descending its highest; each resource appears once.
  const q = (g: Fixture, sort: string) => `_sort=${sort}&_tag=${encodeURIComponent(g.tag)}`
  it('in every query plan', async () => {
    const g = await fixture('multisort')
    const m = (n: string) => `ms${n}-${s}`
    await g.put(
      { resourceType: 'Patient', id: m('a'), name: [{ family: 'Mid' }, { family: 'Zed' }] },
      { resourceType: 'Patient', id: m('b'), name: [{ family: 'Alpha' }] },
      { resourceType: 'Patient', id: m('c'), name: [{ family: 'Yank' }, { family: 'Beta' }] },
      { resourceType: 'Patient', id: m('d') }
    )
    for (const limit of [0, 1_000_000, undefined]) {
      expect(await engineIds('Patient', q(g, 'family'), limit), `limit ${limit}`).toEqual(
        ['b', 'c', 'a', 'd'].map(m)
      )
      expect(await engineIds('Patient', q(g, '-family'), limit), `limit ${limit}`).toEqual(
        ['a', 'c', 'b', 'd'].map(m)
      )
    }
    const pages = await allPages(g.auth, `/fhir/Patient?${q(g, '-family')}&_count=1`)
    expect(pages.flat()).toEqual(['a', 'c', 'b', 'd'].map(m))
    // Back from the last page (no family) across to the ones with a family.
    let bundle = await g.search('Patient', `_sort=-family&_count=3`)
    bundle = await json(await call('GET', nextOf(bundle), { auth: g.auth }))
    expect(orderedIds(bundle)).toEqual([m('d')])
    bundle = await json(await call('GET', prevOf(bundle), { auth: g.auth }))
    expect(orderedIds(bundle)).toEqual(['a', 'c', 'b'].map(m))
  })
})

// Result control (R4 search.html#return, #count, #_sort, #total, #summary, #elements, #include) and the
// request forms: keyset paging with next/previous links that stay right while data changes, _sort on
// several keys, _total, _summary, _elements, _include/_revinclude (:iterate, *), POST _search, system
// search, ignored parameters reported (or a 400 with Prefer: handling=strict).

import { beforeAll, describe, expect, it } from 'vitest'
import {
  allPages,
  engineIds,
  fixture,
  matchIds,
  orderedIds,
  suffix,
  type Fixture,
} from './search-helpers.ts'
import { call, json } from './helpers.ts'

const s = suffix()
const p = (n: number) => `res${n}-${s}`
const SUBSETTED = {
  system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue',
  code: 'SUBSETTED',
}

// Patients: families and birth dates to sort on; 6 has no birth date, 7 no name.
const PATIENTS: [number, string | undefined, string | undefined][] = [
  [1, 'Baker', '1980-01-01'],
  [2, 'Adams', '1990-06-15'],
  [3, 'Baker', '1970-03-03'],
  [4, 'Carter', '1985-12-31'],
  [5, 'Adams', '1960-07-07'],
  [6, 'Dunn', undefined],
  [7, undefined, '1999-09-09'],
]

let f: Fixture
beforeAll(async () => {
  f = await fixture('results')
  await f.put({ resourceType: 'Practitioner', id: p(90), name: [{ family: 'Doc' }] })
  for (const [n, family, birthDate] of PATIENTS) {
    await f.put({
      resourceType: 'Patient',
      id: p(n),
      ...(family ? { name: [{ family }] } : {}),
      ...(birthDate ? { birthDate } : {}),
      generalPractitioner: [{ reference: `Practitioner/${p(90)}` }],
    })
  }
  await f.put(
    {
      resourceType: 'Observation',
      id: p(20),
      status: 'final',
      text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">x</div>' },
      category: [{ text: 'lab' }],
      code: { text: 'x' },
      subject: { reference: `Patient/${p(1)}` },
      note: [{ text: 'a note' }],
    },
    {
      resourceType: 'Observation',
      id: p(21),
      status: 'final',
      code: { text: 'y' },
      subject: { reference: `Patient/${p(2)}` },
    },
    {
      resourceType: 'Provenance',
      id: p(30),
      recorded: '2020-01-01T00:00:00Z',
      agent: [{ who: { reference: `Practitioner/${p(90)}` } }],
      target: [{ reference: `Observation/${p(20)}` }],
    }
  )
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

describe('_total and _summary=count (search.html#total, #summary)', () => {
  it('_total=accurate counts the matches; none (the default) gives no total', async () => {
    expect((await f.search('Patient', '_total=accurate&_count=2')).total).toBe(7)
    expect((await f.search('Patient', '_count=2')).total).toBeUndefined()
  })
  it('_summary=count answers the count and no entries', async () => {
    const bundle = await f.search('Patient', '_summary=count&family=baker')
    expect(bundle.total).toBe(2)
    expect(bundle.entry).toBeUndefined()
  })
  it('_count=0 is treated as _summary=count: the total and no entries (search.html#count)', async () => {
    const all = await f.search('Patient', '_count=0')
    expect(all.total).toBe(7)
    expect(all.entry).toBeUndefined()
    const some = await f.search('Patient', '_count=0&family=baker')
    expect(some.total).toBe(2)
    expect(some.entry).toBeUndefined()
  })
})

describe('_summary and _elements (search.html#summary, #elements)', () => {
  const only = async (query: string) =>
    (await f.search('Observation', `_id=${p(20)}&${query}`)).entry[0].resource
  it('_summary=true keeps the summary elements and tags the resource SUBSETTED', async () => {
    const r = await only('_summary=true')
    expect(Object.keys(r).sort()).toEqual([
      'code',
      'id',
      'meta',
      'resourceType',
      'status',
      'subject',
    ])
    expect(r.meta.tag).toContainEqual(SUBSETTED)
  })
  it('_summary=text keeps text, id, meta and the mandatory elements', async () => {
    expect(Object.keys(await only('_summary=text')).sort()).toEqual([
      'code',
      'id',
      'meta',
      'resourceType',
      'status',
      'text',
    ])
  })
  it('_summary=data drops the narrative', async () => {
    const r = await only('_summary=data')
    expect(r.text).toBeUndefined()
    expect(r.note).toEqual([{ text: 'a note' }])
  })
  it('_elements keeps the named elements and the mandatory ones', async () => {
    const r = await only('_elements=subject,note')
    expect(Object.keys(r).sort()).toEqual([
      'code',
      'id',
      'meta',
      'note',
      'resourceType',
      'status',
      'subject',
    ])
    expect(r.meta.tag).toContainEqual(SUBSETTED)
  })
  it('without them the stored resource comes back whole', async () => {
    const r = await only('_count=1')
    expect(r.note).toEqual([{ text: 'a note' }])
    expect(r.meta.tag).not.toContainEqual(SUBSETTED)
  })
})

describe('_include and _revinclude (search.html#include)', () => {
  const modes = (bundle: any) =>
    bundle.entry
      .map((e: any) => `${e.search.mode}:${e.resource.resourceType}/${e.resource.id}`)
      .sort()
  it('_include adds the referenced resources once, as search.mode include', async () => {
    const bundle = await f.search('Observation', '_include=Observation:subject')
    expect(modes(bundle)).toEqual([
      `include:Patient/${p(1)}`,
      `include:Patient/${p(2)}`,
      `match:Observation/${p(20)}`,
      `match:Observation/${p(21)}`,
    ])
    expect(bundle.entry.find((e: any) => e.search.mode === 'include').fullUrl).toMatch(
      /^https:\/\/fhir\.test\/fhir\/Patient\//
    )
  })
  it('Source:param:Target restricts the type; Source:* follows every reference parameter', async () => {
    expect(modes(await f.search('Observation', '_include=Observation:subject:Group'))).toEqual([
      `match:Observation/${p(20)}`,
      `match:Observation/${p(21)}`,
    ])
    expect(modes(await f.search('Observation', `_id=${p(20)}&_include=Observation:*`))).toEqual([
      `include:Patient/${p(1)}`,
      `match:Observation/${p(20)}`,
    ])
  })
  it(':iterate follows references of included resources', async () => {
    const bundle = await f.search(
      'Observation',
      `_id=${p(20)}&_include=Observation:subject&_include:iterate=Patient:general-practitioner`
    )
    expect(modes(bundle)).toEqual([
      `include:Patient/${p(1)}`,
      `include:Practitioner/${p(90)}`,
      `match:Observation/${p(20)}`,
    ])
  })
  it('_revinclude adds resources that refer to the matches', async () => {
    const bundle = await f.search(
      'Observation',
      `_id=${p(20)},${p(21)}&_revinclude=Provenance:target`
    )
    expect(modes(bundle)).toEqual([
      `include:Provenance/${p(30)}`,
      `match:Observation/${p(20)}`,
      `match:Observation/${p(21)}`,
    ])
  })
  it('a resource both matched and included appears once, as a match', async () => {
    const bundle = await f.search(
      'Patient',
      `_id=${p(1)}&_revinclude=Observation:subject&_include:iterate=Observation:subject`
    )
    expect(modes(bundle)).toEqual([`include:Observation/${p(20)}`, `match:Patient/${p(1)}`])
  })
})

describe('request forms (search.html#search, http.html#search)', () => {
  it('POST _search with a form body searches like GET', async () => {
    const res = await call('POST', '/fhir/Patient/_search', {
      auth: f.auth,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ family: 'baker', _tag: f.tag }).toString(),
    })
    expect(res.status).toBe(200)
    expect(matchIds(await json(res))).toEqual([p(1), p(3)])
  })
  it('POST _search with a JSON body is 415', async () => {
    expect(
      (await call('POST', '/fhir/Patient/_search', { auth: f.auth, body: { family: 'x' } })).status
    ).toBe(415)
  })
  it('system search over several types with _type, and over every type', async () => {
    const tag = encodeURIComponent(f.tag)
    const bundle = await json(
      await call('GET', `/fhir?_type=Practitioner,Provenance&_tag=${tag}`, { auth: f.auth })
    )
    expect(
      bundle.entry.map((e: any) => `${e.resource.resourceType}/${e.resource.id}`).sort()
    ).toEqual([`Practitioner/${p(90)}`, `Provenance/${p(30)}`])
    const all = await json(await call('GET', `/fhir?_tag=${tag}&_count=100`, { auth: f.auth }))
    expect(all.entry.map((e: any) => e.search.mode)).toEqual(Array(11).fill('match'))
    expect(all.link[0].url).toBe(`https://fhir.test/fhir?_tag=${tag}&_count=100`)
  })
  it('400 for an unknown _type', async () => {
    expect((await call('GET', '/fhir?_type=Spaceship', { auth: f.auth })).status).toBe(400)
  })
})

describe('parameters that cannot be applied (search.html#errors)', () => {
  it('are ignored, reported in an outcome entry and left out of the self link', async () => {
    const bundle = await f.search('Patient', 'family=baker&frobnicate=1&_contained=true')
    expect(matchIds(bundle)).toEqual([p(1), p(3)])
    const outcome = bundle.entry.find((e: any) => e.search.mode === 'outcome').resource
    expect(outcome.issue.map((i: any) => i.expression[0])).toEqual(['frobnicate', '_contained'])
    expect(bundle.link[0].url).not.toContain('frobnicate')
    expect(bundle.link[0].url).toContain('family=baker')
  })
  it('with Prefer: handling=strict they are a 400 naming each', async () => {
    const res = await f.get('Patient', 'family=baker&frobnicate=1', { prefer: 'handling=strict' })
    expect(res.status).toBe(400)
    expect((await json(res)).issue.map((i: any) => i.expression[0])).toEqual(['frobnicate'])
    expect((await f.get('Patient', 'family=baker', { prefer: 'handling=strict' })).status).toBe(200)
  })
  it('malformed result parameters are a 400 naming them', async () => {
    for (const [q, name] of [
      ['_total=some', '_total'],
      ['_summary=maybe', '_summary'],
      ['_count=-1', '_count'],
      ['_include=Nope:x', '_include'],
    ]) {
      const res = await f.get('Patient', q!)
      expect(res.status, q).toBe(400)
      expect((await json(res)).issue[0].expression).toEqual([name])
    }
  })
})

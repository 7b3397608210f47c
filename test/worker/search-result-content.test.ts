// Result control (R4 search.html#return, #total, #summary, #elements, #include) and the request
// forms: _total, _summary, _elements, _include/_revinclude (:iterate, *), POST _search, system
// search, ignored parameters reported (or a 400 with Prefer: handling=strict). The data is
// resultsFixture's (search-helpers.ts).

import { beforeAll, describe, expect, it } from 'vitest'
import { matchIds, resultsFixture, suffix, type Fixture } from './search-helpers.ts'
import { call, json } from './helpers.ts'

const s = suffix()
const p = (n: number) => `res${n}-${s}`
const SUBSETTED = {
  system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue',
  code: 'SUBSETTED',
}

let f: Fixture
beforeAll(async () => {
  f = await resultsFixture(p)
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

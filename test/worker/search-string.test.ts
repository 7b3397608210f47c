// String search (R4 search.html#string): case- and accent-insensitive match on the start of each part
// of a HumanName or Address (and of the whole text), `:exact` (whole value, case and accents
// significant), `:contains` (anywhere), `:missing`; _id and uri search (#id, #uri) alongside.

import { beforeAll, describe, expect, it } from 'vitest'
import { fixture, suffix, type Fixture } from './search-helpers.ts'
import { json } from './helpers.ts'

const s = suffix()
const id = (n: number) => `str${n}-${s}`

let f: Fixture
beforeAll(async () => {
  f = await fixture('string')
  await f.put(
    {
      resourceType: 'Patient',
      id: id(1),
      name: [{ family: 'Müller-Lüdenscheidt', given: ['José', 'María'] }],
    },
    { resourceType: 'Patient', id: id(2), name: [{ family: 'Muller', given: ['Jo'] }] },
    {
      resourceType: 'Patient',
      id: id(3),
      name: [{ family: 'Smith', given: ['Peter', 'James'], text: 'Peter James Smith' }],
    },
    {
      resourceType: 'Patient',
      id: id(4),
      address: [{ line: ['1 Rua Augusta'], city: 'São Paulo', country: 'BR' }],
    },
    {
      resourceType: 'ValueSet',
      id: id(5),
      status: 'active',
      url: `http://acme.example/fhir/ValueSet/${s}/a`,
    },
    {
      resourceType: 'ValueSet',
      id: id(6),
      status: 'active',
      url: `http://acme.example/fhir/ValueSet/${s}`,
    },
    { resourceType: 'ValueSet', id: id(7), status: 'active', url: `http://acme.example/other/${s}` }
  )
})

describe('default: starts with, ignoring case and accents (search.html#string)', () => {
  it('matches the start of the family name, without regard to accents or case', async () => {
    expect(await f.ids('Patient', 'family=muller')).toEqual([id(1), id(2)])
    expect(await f.ids('Patient', 'family=M%C3%9CLLER')).toEqual([id(1), id(2)])
  })
  it('matches the start of every given name', async () => {
    expect(await f.ids('Patient', 'given=jo')).toEqual([id(1), id(2)])
    expect(await f.ids('Patient', 'given=mar')).toEqual([id(1)])
  })
  it('name covers family, given and text; only the start of a part matches', async () => {
    expect(await f.ids('Patient', 'name=james')).toEqual([id(3)])
    expect(await f.ids('Patient', 'name=peter%20j')).toEqual([id(3)])
    expect(await f.ids('Patient', 'name=ames')).toEqual([])
  })
  it('address parts: each line, city, country is a part matched from its start (accents ignored)', async () => {
    expect(await f.ids('Patient', 'address=sao')).toEqual([id(4)])
    expect(await f.ids('Patient', 'address-city=S%C3%83O%20PAULO')).toEqual([id(4)])
    expect(await f.ids('Patient', 'address=1%20rua')).toEqual([id(4)])
    expect(await f.ids('Patient', 'address=rua')).toEqual([])
  })
})

describe(':exact and :contains (search.html#modifiers)', () => {
  it(':exact matches the whole value with case and accents', async () => {
    expect(await f.ids('Patient', 'family:exact=Muller')).toEqual([id(2)])
    expect(await f.ids('Patient', 'family:exact=muller')).toEqual([])
    expect(
      await f.ids('Patient', `family:exact=${encodeURIComponent('Müller-Lüdenscheidt')}`)
    ).toEqual([id(1)])
    expect(await f.ids('Patient', 'family:exact=Mull')).toEqual([])
  })
  it(':contains matches anywhere in a part, ignoring case and accents', async () => {
    expect(await f.ids('Patient', 'family:contains=DEN')).toEqual([id(1)])
    expect(await f.ids('Patient', 'given:contains=ari')).toEqual([id(1)])
    expect(await f.ids('Patient', 'family:contains=xyz')).toEqual([])
  })
  it(':missing finds resources with no name', async () => {
    expect(await f.ids('Patient', 'name:missing=true')).toEqual([id(4)])
  })
  it('a comma is OR between prefixes', async () => {
    expect(await f.ids('Patient', 'family=smi,mull')).toEqual([id(1), id(2), id(3)])
  })
  it('400 for a modifier strings do not have', async () => {
    const res = await f.get('Patient', 'family:below=x')
    expect(res.status).toBe(400)
    expect((await json(res)).issue[0].expression).toEqual(['family:below'])
  })
})

describe('_id and uri (search.html#id, #uri)', () => {
  it('_id matches ids exactly, comma-separated', async () => {
    expect(await f.ids('Patient', `_id=${id(1)},${id(3)}`)).toEqual([id(1), id(3)])
    expect(await f.ids('Patient', `_id=str1-${s.toUpperCase()}`)).toEqual([])
  })
  it('uri matches the whole URL; :below matches URLs under it; :above the URLs it is under', async () => {
    const base = `http://acme.example/fhir/ValueSet/${s}`
    expect(await f.ids('ValueSet', `url=${encodeURIComponent(base)}`)).toEqual([id(6)])
    expect(await f.ids('ValueSet', `url:below=${encodeURIComponent(base)}`)).toEqual([id(5), id(6)])
    expect(await f.ids('ValueSet', `url:above=${encodeURIComponent(`${base}/a/b`)}`)).toEqual([
      id(5),
      id(6),
    ])
  })
})

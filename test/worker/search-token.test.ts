// Token search (R4 search.html#token, #modifiers, #escaping, #combining) on hand-built Observations
// with private code systems: code, system|code, |code, system|, :not, :text, :missing, :of-type,
// comma = OR, repeated parameter = AND, and escaped separators.

import { beforeAll, describe, expect, it } from 'vitest'
import { fixture, suffix, type Fixture } from './search-helpers.ts'
import { json } from './helpers.ts'

const s = suffix()
const S1 = `http://example.org/cs1/${s}`
const S2 = `http://example.org/cs2/${s}`
const V2 = 'http://terminology.hl7.org/CodeSystem/v2-0203'
const id = (n: number) => `tok${n}-${s}`
const obs = (n: number, extra: Record<string, unknown>) => ({
  resourceType: 'Observation',
  id: id(n),
  status: 'final',
  ...extra,
})

let f: Fixture
beforeAll(async () => {
  f = await fixture('token')
  await f.put(
    obs(1, {
      code: { text: 'Glucose fasting', coding: [{ system: S1, code: 'A', display: 'Alpha one' }] },
      identifier: [
        { system: 'urn:ids', value: `v-${s}`, type: { coding: [{ system: V2, code: 'MR' }] } },
      ],
    }),
    obs(2, { status: 'amended', code: { coding: [{ system: S2, code: 'A' }] } }),
    obs(3, { code: { coding: [{ code: 'A' }] } }),
    obs(4, { code: { coding: [{ system: S1, code: 'B' }] } }),
    obs(5, { code: { coding: [{ system: S1, code: 'a,b|c$d\\e' }] } }),
    // Every Observation has a code (R4: 1..1); this one has text only, no coding, and the only
    // category (the others have none, for :missing).
    obs(6, {
      code: { text: 'Unclassified' },
      category: [{ coding: [{ system: S2, code: 'lab' }] }],
    })
  )
})

describe('token forms (search.html#token)', () => {
  it('code matches the code in any system', async () => {
    expect(await f.ids('Observation', 'code=A')).toEqual([id(1), id(2), id(3)])
  })
  it('system|code matches that system only', async () => {
    expect(await f.ids('Observation', `code=${encodeURIComponent(`${S1}|A`)}`)).toEqual([id(1)])
  })
  it('|code matches codes that have no system', async () => {
    expect(await f.ids('Observation', 'code=%7CA')).toEqual([id(3)])
  })
  it('system| matches every code of the system', async () => {
    expect(await f.ids('Observation', `code=${encodeURIComponent(`${S1}|`)}`)).toEqual([
      id(1),
      id(4),
      id(5),
    ])
  })
  it('codes are compared case-sensitively (the code system decides case; most are case-sensitive)', async () => {
    expect(await f.ids('Observation', 'code=a')).toEqual([])
  })
  it('a code element (status) is a token without a system', async () => {
    expect(await f.ids('Observation', 'status=amended')).toEqual([id(2)])
    expect(await f.ids('Observation', 'status=%7Camended')).toEqual([id(2)])
  })
})

describe('combining values (search.html#combining)', () => {
  it('a comma is OR', async () => {
    expect(await f.ids('Observation', 'code=A,B')).toEqual([id(1), id(2), id(3), id(4)])
  })
  it('a repeated parameter is AND', async () => {
    expect(await f.ids('Observation', `code=A&code=${encodeURIComponent(`${S1}|`)}`)).toEqual([
      id(1),
    ])
    expect(await f.ids('Observation', 'code=A&code=B')).toEqual([])
  })
})

describe('escaping (search.html#escaping)', () => {
  it('\\, \\| \\$ and \\\\ stand for the character itself', async () => {
    const code = encodeURIComponent('a\\,b\\|c\\$d\\\\e')
    expect(await f.ids('Observation', `code=${code}`)).toEqual([id(5)])
    expect(await f.ids('Observation', `code=${encodeURIComponent(`${S1}|`)}${code}`)).toEqual([
      id(5),
    ])
  })
  it('an unescaped comma splits the value', async () => {
    expect(await f.ids('Observation', `code=${encodeURIComponent('a,b|c$d\\e')}`)).toEqual([])
  })
})

describe('modifiers (search.html#modifiers)', () => {
  it(':not returns resources without a matching code, including those with no coded value', async () => {
    expect(await f.ids('Observation', 'code:not=A')).toEqual([id(4), id(5), id(6)])
    expect(await f.ids('Observation', `category:not=${encodeURIComponent(`${S2}|lab`)}`)).toEqual(
      [1, 2, 3, 4, 5].map(id)
    )
    expect(await f.ids('Observation', `code:not=${encodeURIComponent(`${S1}|A`)}`)).toEqual(
      [2, 3, 4, 5, 6].map(id)
    )
  })
  it(':text matches the start of CodeableConcept.text or Coding.display, ignoring case and accents', async () => {
    expect(await f.ids('Observation', 'code:text=gluc')).toEqual([id(1)])
    expect(await f.ids('Observation', 'code:text=ALPHA')).toEqual([id(1)])
    expect(await f.ids('Observation', 'code:text=fasting')).toEqual([])
  })
  it(':missing=true finds resources without a value, :missing=false those with one', async () => {
    expect(await f.ids('Observation', 'category:missing=true')).toEqual([1, 2, 3, 4, 5].map(id))
    expect(await f.ids('Observation', 'category:missing=false')).toEqual([id(6)])
    // A code with text only is present (R4: Observation.code is 1..1, so never missing).
    expect(await f.ids('Observation', 'code:missing=true')).toEqual([])
    expect(await f.ids('Observation', 'code:missing=false')).toEqual([1, 2, 3, 4, 5, 6].map(id))
  })
  it(':of-type matches an identifier by its type and value', async () => {
    expect(
      await f.ids('Observation', `identifier:of-type=${encodeURIComponent(`${V2}|MR|v-${s}`)}`)
    ).toEqual([id(1)])
    expect(
      await f.ids('Observation', `identifier:of-type=${encodeURIComponent(`${V2}|SS|v-${s}`)}`)
    ).toEqual([])
    expect(
      await f.ids('Observation', `identifier=${encodeURIComponent(`urn:ids|v-${s}`)}`)
    ).toEqual([id(1)])
  })
})

describe('errors (search.html#errors)', () => {
  it('400 naming the parameter for a token with two unescaped bars', async () => {
    const res = await f.get('Observation', 'code=a%7Cb%7Cc')
    expect(res.status).toBe(400)
    expect((await json(res)).issue[0].expression).toEqual(['code'])
  })
  it('400 for a modifier this server cannot apply (no terminology service for :below)', async () => {
    const res = await f.get('Observation', 'code:below=A')
    expect(res.status).toBe(400)
    const issue = (await json(res)).issue[0]
    expect(issue.code).toBe('not-supported')
    expect(issue.expression).toEqual(['code:below'])
  })
  it('400 for :missing with a value other than true or false', async () => {
    expect((await f.get('Observation', 'code:missing=yes')).status).toBe(400)
  })
  it('400 for :of-type without all three parts', async () => {
    expect((await f.get('Observation', 'identifier:of-type=MR%7C1')).status).toBe(400)
  })
})

// Granular SMART v2 scopes (scopes-and-launch-context "Finer-grained resource constraints using search
// parameters": `system/Observation.rs?category=laboratory`). A search of a restricted type returns
// exactly the resources that match at least one restriction (each an AND of its parameters) and the
// caller's criteria, across pages, with `_total` and links that agree; includes, revincludes, chains
// and `_has` read a restricted type only through matching resources; a read outside the restrictions
// is 404. What cannot apply a restriction (vread, history, conditional writes; an unsupported
// parameter) is 403 insufficient_scope (RFC 6750 §3.1), never a silently wider answer.

import { beforeAll, describe, expect, it } from 'vitest'
import { call, json, ROOT } from './helpers.ts'
import {
  entriesOf,
  expectInsufficientScope,
  getOk,
  privateTag,
  tokenWith,
  type Resource,
} from './scope-helpers.ts'

const CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category'
const CATEGORIES = ['laboratory', 'vital-signs', 'laboratory', 'social-history']

const tag = privateTag('granular')
const patients: Resource[] = [
  { resourceType: 'Patient', id: 'gr-pf1', gender: 'female', name: [{ family: 'Smith' }] },
  { resourceType: 'Patient', id: 'gr-pm1', gender: 'male', name: [{ family: 'Smith' }] },
  { resourceType: 'Patient', id: 'gr-pf2', gender: 'female', name: [{ family: 'Jones' }] },
]
const observations = Array.from({ length: 12 }, (_, i) => ({
  resourceType: 'Observation',
  id: `gr-obs-${i}`,
  status: i % 3 === 0 ? 'preliminary' : 'final',
  category: [{ coding: [{ system: CATEGORY, code: CATEGORIES[i % 4]! }] }],
  code: { coding: [{ system: 'urn:test:codes', code: i < 6 ? 'A' : 'B' }] },
  subject: { reference: `Patient/${patients[i % 3]!.id}` },
  effectiveDateTime: `2020-01-${String(i + 1).padStart(2, '0')}`,
}))
type Obs = (typeof observations)[number]

const category = (o: Obs) => o.category[0]!.coding[0]!.code
const code = (o: Obs) => o.code.coding[0]!.code
const keys = (list: { resourceType: string; id: string }[]) =>
  list.map((r) => `${r.resourceType}/${r.id}`).sort()
const obsWhere = (test: (o: Obs) => boolean) => keys(observations.filter(test))

beforeAll(async () => {
  await tag.put(...patients, ...observations)
})

/** Every match of a search, following `next` links; the totals of every page. */
async function allPages(path: string, auth: string): Promise<{ ids: string[]; totals: unknown[] }> {
  const ids: string[] = []
  const totals: unknown[] = []
  let url: string | undefined = path
  for (let page = 0; url && page < 20; page++) {
    const bundle = await getOk(url, auth)
    ids.push(...entriesOf(bundle))
    totals.push(bundle.total)
    const next = (bundle.link as { relation: string; url: string }[]).find(
      (l) => l.relation === 'next'
    )
    url = next && new URL(next.url).pathname + new URL(next.url).search
  }
  return { ids, totals }
}

describe('a search of a restricted type returns exactly the matching resources', () => {
  it('one restriction: only laboratory Observations, in the g10 system|code form too', async () => {
    for (const value of ['laboratory', `${CATEGORY}|laboratory`]) {
      const auth = await tokenWith(`system/Observation.rs?category=${value}`)
      const bundle = await getOk(`/fhir/Observation?${tag.param}&_count=100`, auth)
      expect(entriesOf(bundle)).toEqual(obsWhere((o) => category(o) === 'laboratory'))
      // The restriction is not a parameter of the request: the self link does not show it.
      const self = (bundle.link as { relation: string; url: string }[]).find(
        (l) => l.relation === 'self'
      )!
      expect(self.url).not.toContain('category')
    }
  })

  it('several restrictions are a union', async () => {
    const auth = await tokenWith(
      'system/Observation.rs?category=laboratory system/Observation.s?category=social-history'
    )
    const bundle = await getOk(`/fhir/Observation?${tag.param}&_count=100`, auth)
    expect(entriesOf(bundle)).toEqual(obsWhere((o) => category(o) !== 'vital-signs'))
  })

  it('the parameters of one restriction are AND-ed', async () => {
    const auth = await tokenWith('system/Observation.rs?category=laboratory&status=final')
    const bundle = await getOk(`/fhir/Observation?${tag.param}&_count=100`, auth)
    expect(entriesOf(bundle)).toEqual(
      obsWhere((o) => category(o) === 'laboratory' && o.status === 'final')
    )
  })

  it('the caller’s own criteria apply on top', async () => {
    const auth = await tokenWith('system/Observation.rs?category=laboratory')
    const bundle = await getOk(`/fhir/Observation?${tag.param}&code=B&_count=100`, auth)
    expect(entriesOf(bundle)).toEqual(
      obsWhere((o) => category(o) === 'laboratory' && code(o) === 'B')
    )
  })

  it('an unrestricted scope for the same letter lifts the restriction', async () => {
    const auth = await tokenWith('system/Observation.rs?category=laboratory system/Observation.s')
    const bundle = await getOk(`/fhir/Observation?${tag.param}&_count=100`, auth)
    expect(entriesOf(bundle)).toEqual(obsWhere(() => true))
  })

  it('paging across pages, _total=accurate and _summary=count agree with the restriction', async () => {
    const auth = await tokenWith('system/Observation.rs?category=laboratory')
    const labs = obsWhere((o) => category(o) === 'laboratory')
    for (const extra of ['', '&_sort=-date', '&_sort=status,date']) {
      const { ids, totals } = await allPages(
        `/fhir/Observation?${tag.param}&_count=2&_total=accurate${extra}`,
        auth
      )
      expect(ids.sort(), extra).toEqual(labs)
      expect(totals.every((t) => t === labs.length)).toBe(true)
    }
    const counted = await getOk(`/fhir/Observation?${tag.param}&_summary=count`, auth)
    expect(counted.total).toBe(labs.length)
    expect(counted.entry).toBeUndefined()
  })

  it('a compartment search is restricted the same way', async () => {
    const auth = await tokenWith('system/Observation.rs?category=laboratory')
    const bundle = await getOk(`/fhir/Patient/gr-pf1/Observation?${tag.param}`, auth)
    expect(entriesOf(bundle)).toEqual(
      obsWhere((o) => category(o) === 'laboratory' && o.subject.reference === 'Patient/gr-pf1')
    )
  })

  it('a system search restricts each type by its own scope', async () => {
    const auth = await tokenWith('system/Patient.s system/Observation.s?category=vital-signs')
    const bundle = await getOk(`/fhir?_type=Patient,Observation&${tag.param}&_count=100`, auth)
    expect(entriesOf(bundle)).toEqual(
      [...keys(patients), ...obsWhere((o) => category(o) === 'vital-signs')].sort()
    )
  })

  it('a restricted * scope restricts every type, system search without _type included', async () => {
    const auth = await tokenWith(`system/*.rs?_tag=${tag.tag}`)
    const all = await getOk('/fhir?_count=100', auth)
    expect(entriesOf(all)).toEqual([...keys(patients), ...keys(observations)].sort())
    const some = await getOk('/fhir/Patient?gender=female&_count=100', auth)
    expect(entriesOf(some)).toEqual(['Patient/gr-pf1', 'Patient/gr-pf2'])
  })
})

describe('a read of a restricted type answers only matching resources', () => {
  it('200 for a match, 404 otherwise, like a resource that does not exist', async () => {
    const auth = await tokenWith('system/Observation.rs?category=laboratory')
    const read = await call('GET', '/fhir/Observation/gr-obs-0', { auth })
    expect(read.status).toBe(200)
    expect((await json(read)).id).toBe('gr-obs-0')
    expect(read.headers.get('etag')).toBe('W/"1"')
    const outside = await call('GET', '/fhir/Observation/gr-obs-1', { auth })
    const missing = await call('GET', '/fhir/Observation/gr-none-such', { auth })
    expect(outside.status).toBe(404)
    expect(missing.status).toBe(404)
    expect((await json(outside)).issue[0].code).toBe((await json(missing)).issue[0].code)
  })

  it('vread and instance history cannot apply a restriction: 403', async () => {
    const auth = await tokenWith('system/Observation.rs?category=laboratory')
    for (const path of [
      '/fhir/Observation/gr-obs-0/_history/1',
      '/fhir/Observation/gr-obs-0/_history',
    ]) {
      await expectInsufficientScope(await call('GET', path, { auth }), 'system/Observation.r')
    }
  })

  it('type and system history cannot apply a restriction: 403', async () => {
    await expectInsufficientScope(
      await call('GET', '/fhir/Observation/_history', {
        auth: await tokenWith('system/Observation.rs?category=laboratory'),
      }),
      'system/Observation.s'
    )
    await expectInsufficientScope(
      await call('GET', '/fhir/_history', { auth: await tokenWith(`system/*.rs?_tag=${tag.tag}`) }),
      'system/*.s'
    )
  })
})

describe('derived reads of a restricted type see only matching resources', () => {
  it('_include brings in only the target resources that match', async () => {
    const auth = await tokenWith('system/Observation.rs system/Patient.rs?gender=female')
    const bundle = await getOk(
      `/fhir/Observation?${tag.param}&_include=Observation:subject:Patient&_count=100`,
      auth
    )
    expect(entriesOf(bundle)).toEqual(keys(observations))
    expect(entriesOf(bundle, 'include')).toEqual(['Patient/gr-pf1', 'Patient/gr-pf2'])
  })

  it('_revinclude brings in only the source resources that match', async () => {
    const auth = await tokenWith('system/Patient.rs system/Observation.rs?category=laboratory')
    const bundle = await getOk(`/fhir/Patient?${tag.param}&_revinclude=Observation:subject`, auth)
    expect(entriesOf(bundle)).toEqual(keys(patients))
    expect(entriesOf(bundle, 'include')).toEqual(obsWhere((o) => category(o) === 'laboratory'))
  })

  it('a chain matches only through resources that match', async () => {
    const auth = await tokenWith('system/Observation.rs system/Patient.rs?gender=female')
    const bundle = await getOk(
      `/fhir/Observation?${tag.param}&subject:Patient.name=Smith&_count=100`,
      auth
    )
    expect(entriesOf(bundle)).toEqual(obsWhere((o) => o.subject.reference === 'Patient/gr-pf1'))
  })

  it('_has matches only through referring resources that match', async () => {
    const auth = await tokenWith('system/Patient.rs system/Observation.rs?category=vital-signs')
    // Code B Observations: 6-11; vital-signs among them: 9 (subject gr-pf1). Without the
    // restriction every Patient would match.
    const bundle = await getOk(`/fhir/Patient?${tag.param}&_has:Observation:subject:code=B`, auth)
    expect(entriesOf(bundle)).toEqual(
      [
        ...new Set(
          observations
            .filter((o) => code(o) === 'B' && category(o) === 'vital-signs')
            .map((o) => o.subject.reference)
        ),
      ].sort()
    )
    expect(entriesOf(bundle)).toHaveLength(1)
  })
})

describe('a restricted * scope tests the type wherever it applies', () => {
  it('a resource of another type with the same id does not make a hidden one visible', async () => {
    // Observation/X carries the tag, Patient/X does not: through a chain, an include or a read,
    // Patient/X stays hidden although one filter (the * scope's) serves both types.
    const other = privateTag('shared')
    const id = `gr-shared-${crypto.randomUUID().slice(0, 8)}`
    await other.put({
      resourceType: 'Observation',
      id,
      status: 'final',
      code: { text: 'x' },
      subject: { reference: `Patient/${id}` },
    })
    const res = await call('PUT', `/fhir/Patient/${id}`, {
      auth: ROOT,
      body: { resourceType: 'Patient', id },
    })
    expect(res.status).toBe(201)
    const auth = await tokenWith(`system/*.rs?_tag=${other.tag}`)
    for (const chain of ['subject:Patient.name:missing=true', `subject:Patient._id=${id}`]) {
      expect(entriesOf(await getOk(`/fhir/Observation?${chain}`, auth)), chain).toEqual([])
    }
    const included = await getOk(
      `/fhir/Observation?_id=${id}&_include=Observation:subject:Patient`,
      auth
    )
    expect(entriesOf(included)).toEqual([`Observation/${id}`])
    expect(entriesOf(included, 'include')).toEqual([])
    expect((await call('GET', `/fhir/Patient/${id}`, { auth })).status).toBe(404)
    expect((await call('GET', `/fhir/Observation/${id}`, { auth })).status).toBe(200)
  })
})

describe('restrictions that cannot be applied exactly are refused, never ignored', () => {
  it('an unknown parameter, a chain, or a parameter the type lacks: 403', async () => {
    const cases: [string, string, string][] = [
      [
        'system/Observation.rs?no-such-param=1',
        '/fhir/Observation?_count=1',
        'system/Observation.s',
      ],
      [
        'system/Observation.rs?no-such-param=1',
        '/fhir/Observation/gr-obs-0',
        'system/Observation.r',
      ],
      [
        'system/Observation.rs?subject:Patient.name=Smith',
        '/fhir/Observation?_count=1',
        'system/Observation.s',
      ],
      [
        'system/Observation.rs?date=not-a-date',
        '/fhir/Observation?_count=1',
        'system/Observation.s',
      ],
      ['system/*.rs?category=laboratory', '/fhir/Patient?_count=1', 'system/Patient.s'],
    ]
    for (const [scope, path, needed] of cases) {
      const res = await call('GET', path, { auth: await tokenWith(scope) })
      await expectInsufficientScope(res, needed)
    }
  })

  it('a restricted type reached by an include with an unusable restriction: 403', async () => {
    const auth = await tokenWith('system/Observation.rs system/Patient.rs?no-such-param=1')
    await expectInsufficientScope(
      await call('GET', `/fhir/Observation?${tag.param}&_include=Observation:subject:Patient`, {
        auth,
      }),
      'system/Patient.s'
    )
  })
})

describe('granular scopes in Bundle entries', () => {
  it('a batch search entry is restricted, a read entry outside the restriction is 404', async () => {
    const auth = await tokenWith('system/Observation.rs?category=laboratory')
    const res = await call('POST', '/fhir', {
      auth,
      body: {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [
          { request: { method: 'GET', url: `Observation?${tag.param}&_count=100` } },
          { request: { method: 'GET', url: 'Observation/gr-obs-0' } },
          { request: { method: 'GET', url: 'Observation/gr-obs-1' } },
          { request: { method: 'GET', url: 'Observation/gr-obs-0/_history/1' } },
        ],
      },
    })
    expect(res.status).toBe(200)
    const entries = (await json(res)).entry as Record<string, any>[]
    expect(entriesOf(entries[0]!.resource)).toEqual(obsWhere((o) => category(o) === 'laboratory'))
    expect(entries.slice(1).map((e) => e.response.status)).toEqual([
      '200 OK',
      '404 Not Found',
      '403 Forbidden',
    ])
  })
})

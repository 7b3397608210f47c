// The FHIR API of the walking skeleton (R4 http.html, search.html): create, update, read, and token
// search with paging, against the real local D1.

import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { allowedClient, call, json, uniqueId } from './helpers.ts'

let auth: string
beforeAll(async () => {
  auth = (await allowedClient('fhir')).auth
})

function hba1c(id: string, patient: string, extra: Record<string, unknown> = {}) {
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    category: [
      {
        coding: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/observation-category',
            code: 'laboratory',
            display: 'laboratory',
          },
        ],
      },
    ],
    code: {
      text: 'Hemoglobin A1c/Hemoglobin.total in Blood',
      coding: [
        {
          system: 'http://loinc.org',
          code: '4548-4',
          display: 'Hemoglobin A1c/Hemoglobin.total in Blood',
        },
      ],
    },
    subject: { reference: `Patient/${patient}` },
    effectiveDateTime: '2014-05-11T12:39:55+04:00',
    valueQuantity: {
      value: 2.856519918445372,
      unit: '%',
      system: 'http://unitsofmeasure.org',
      code: '%',
    },
    ...extra,
  }
}

describe('create, update and read (http.html#create, #update, #read)', () => {
  it('PUT to a new id creates version 1 (201) with server-owned meta, ETag, Last-Modified and Location', async () => {
    const id = uniqueId('obs')
    const res = await call('PUT', `/fhir/Observation/${id}`, {
      auth,
      body: hba1c(id, 'p1', {
        meta: { versionId: '99', lastUpdated: '2000-01-01T00:00:00Z', tag: [{ code: 't' }] },
      }),
    })
    expect(res.status).toBe(201)
    expect(res.headers.get('content-type')).toMatch(/^application\/fhir\+json/)
    const body = await json(res)
    expect(body.meta.versionId).toBe('1')
    expect(body.meta.lastUpdated).not.toBe('2000-01-01T00:00:00Z')
    expect(Math.abs(Date.parse(body.meta.lastUpdated) - Date.now())).toBeLessThan(60_000)
    expect(body.meta.tag).toEqual([{ code: 't' }])
    expect(res.headers.get('etag')).toBe('W/"1"')
    expect(new Date(res.headers.get('last-modified')!).getTime()).toBe(
      Math.floor(Date.parse(body.meta.lastUpdated) / 1000) * 1000
    )
    expect(res.headers.get('location')).toBe(`https://fhir.test/fhir/Observation/${id}/_history/1`)
  })

  it('PUT to an existing id makes version 2 (200), and GET reads the current version', async () => {
    const id = uniqueId('obs')
    await call('PUT', `/fhir/Observation/${id}`, { auth, body: hba1c(id, 'p1') })
    const update = await call('PUT', `/fhir/Observation/${id}`, {
      auth,
      body: hba1c(id, 'p1', { status: 'amended' }),
    })
    expect(update.status).toBe(200)
    expect(update.headers.get('etag')).toBe('W/"2"')
    const read = await call('GET', `/fhir/Observation/${id}`, { auth })
    expect(read.status).toBe(200)
    expect(read.headers.get('etag')).toBe('W/"2"')
    const body = await json(read)
    expect(body).toMatchObject({
      resourceType: 'Observation',
      id,
      status: 'amended',
      meta: { versionId: '2' },
    })
  })

  it('keeps every version in history with gap-free version numbers', async () => {
    const id = uniqueId('hist')
    for (const status of ['preliminary', 'final', 'amended']) {
      await call('PUT', `/fhir/Observation/${id}`, { auth, body: hba1c(id, 'p1', { status }) })
    }
    const { results } = await env.DB.prepare(
      'SELECT h.version, h.method, json_extract(h.body, "$.status") AS status FROM resource_history h JOIN resource r ON r.pk = h.pk WHERE r.type = ?1 AND r.id = ?2 ORDER BY h.version'
    )
      .bind('Observation', id)
      .all()
    expect(results).toEqual([
      { version: 1, method: 'PUT', status: 'preliminary' },
      { version: 2, method: 'PUT', status: 'final' },
      { version: 3, method: 'PUT', status: 'amended' },
    ])
  })

  it('serialises concurrent PUTs of one resource into distinct, gap-free versions', async () => {
    const id = uniqueId('race')
    await call('PUT', `/fhir/Observation/${id}`, { auth, body: hba1c(id, 'p1') })
    const statuses = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        call('PUT', `/fhir/Observation/${id}`, {
          auth,
          body: hba1c(id, 'p1', { valueQuantity: { value: i } }),
        }).then((r) => r.status)
      )
    )
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200])
    const { results } = await env.DB.prepare(
      'SELECT h.version FROM resource_history h JOIN resource r ON r.pk = h.pk WHERE r.type = ?1 AND r.id = ?2 ORDER BY h.version'
    )
      .bind('Observation', id)
      .all<{ version: number }>()
    expect(results.map((r) => r.version)).toEqual([1, 2, 3, 4, 5, 6, 7])
  })

  it('POST assigns a server id (ignoring a client id) and answers 201 with Location', async () => {
    const res = await call('POST', '/fhir/Observation', {
      auth,
      body: hba1c('client-chosen', 'p1'),
    })
    expect(res.status).toBe(201)
    const body = await json(res)
    expect(body.id).not.toBe('client-chosen')
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/)
    expect(res.headers.get('location')).toBe(
      `https://fhir.test/fhir/Observation/${body.id}/_history/1`
    )
    expect((await call('GET', `/fhir/Observation/${body.id}`, { auth })).status).toBe(200)
  })

  it('writes the resource, its history and its index rows in one batch', async () => {
    const id = uniqueId('rows')
    await call('PUT', `/fhir/Observation/${id}`, { auth, body: hba1c(id, 'p1') })
    const row = await env.DB.prepare('SELECT pk, version FROM resource WHERE type = ?1 AND id = ?2')
      .bind('Observation', id)
      .first<{ pk: number; version: number }>()
    expect(row?.version).toBe(1)
    const tokens = await env.DB.prepare(
      'SELECT code, system FROM ix_token WHERE pk = ?1 ORDER BY code'
    )
      .bind(row!.pk)
      .all()
    expect(tokens.results).toContainEqual({ code: '4548-4', system: 'http://loinc.org' })
    expect(tokens.results).toContainEqual({ code: 'final', system: '' })
  })

  it('answers a PUT whose body is identical to the current version without a new version', async () => {
    const id = uniqueId('same')
    await call('PUT', `/fhir/Observation/${id}`, { auth, body: hba1c(id, 'p1') })
    const again = await call('PUT', `/fhir/Observation/${id}`, { auth, body: hba1c(id, 'p1') })
    expect(again.status).toBe(200)
    expect(again.headers.get('etag')).toBe('W/"1"')
  })
})

describe('input errors answer an OperationOutcome and write nothing', () => {
  it('404 for a type that is not an R4 resource type', async () => {
    const res = await call('GET', '/fhir/Spaceship/1', { auth })
    expect(res.status).toBe(404)
    expect((await json(res)).issue[0].diagnostics).toMatch(/Unknown resource type/)
    expect((await call('GET', '/fhir/Spaceship', { auth })).status).toBe(404)
  })

  it('404 for a missing resource', async () => {
    const res = await call('GET', `/fhir/Observation/${uniqueId('missing')}`, { auth })
    expect(res.status).toBe(404)
    expect((await json(res)).issue[0].code).toBe('not-found')
  })

  it.each([
    ['a body id that differs from the URL', (id: string) => hba1c(`${id}-other`, 'p1')],
    ['a body without id', (id: string) => ({ ...hba1c(id, 'p1'), id: undefined })],
    [
      'a body resourceType that differs from the URL',
      (id: string) => ({ ...hba1c(id, 'p1'), resourceType: 'Patient' }),
    ],
    ['a JSON array', () => [1, 2]],
  ])('400 for %s', async (_label, makeBody) => {
    const id = uniqueId('bad')
    const res = await call('PUT', `/fhir/Observation/${id}`, { auth, body: makeBody(id) })
    expect(res.status).toBe(400)
    expect((await json(res)).resourceType).toBe('OperationOutcome')
    expect(await env.DB.prepare('SELECT 1 FROM resource WHERE id = ?1').bind(id).first()).toBeNull()
  })

  it('400 for an invalid id', async () => {
    const res = await call('PUT', `/fhir/Observation/bad_id!`, {
      auth,
      body: hba1c('bad_id!', 'p1'),
    })
    expect(res.status).toBe(400)
  })

  it('400 for malformed JSON', async () => {
    const id = uniqueId('malformed')
    const res = await call('PUT', `/fhir/Observation/${id}`, { auth, body: '{"resourceType":' })
    expect(res.status).toBe(400)
    expect((await json(res)).issue[0].diagnostics).toMatch(/Malformed JSON/)
  })

  it('413 for a body over the 1 MiB limit', async () => {
    const id = uniqueId('big')
    const res = await call('PUT', `/fhir/Observation/${id}`, {
      auth,
      body: hba1c(id, 'p1', { note: [{ text: 'x'.repeat(1_100_000) }] }),
    })
    expect(res.status).toBe(413)
    expect((await json(res)).issue[0].code).toBe('too-long')
  })

  it('415 for an XML body, 406 for Accept or _format asking for XML, naming JSON as the only format', async () => {
    const id = uniqueId('xml')
    const xml = await call('PUT', `/fhir/Observation/${id}`, {
      auth,
      body: '<Observation/>',
      headers: { 'content-type': 'application/fhir+xml' },
    })
    expect(xml.status).toBe(415)
    expect((await json(xml)).issue[0].diagnostics).toMatch(/only JSON/)
    const accept = await call('GET', '/fhir/Observation', {
      auth,
      headers: { accept: 'application/fhir+xml' },
    })
    expect(accept.status).toBe(406)
    const format = await call('GET', '/fhir/Observation?_format=xml', { auth })
    expect(format.status).toBe(406)
  })

  it('accepts application/json as request and response type, and _format=json', async () => {
    const id = uniqueId('plainjson')
    const res = await call('PUT', `/fhir/Observation/${id}`, {
      auth,
      body: hba1c(id, 'p1'),
      headers: { 'content-type': 'application/json', accept: 'application/json' },
    })
    expect(res.status).toBe(201)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect((await call('GET', `/fhir/Observation/${id}?_format=json`, { auth })).status).toBe(200)
  })
})

describe('token search (search.html#token)', () => {
  // A private code system per run keeps these searches independent of every other test's data.
  const system = `http://example.org/codes/${crypto.randomUUID()}`
  const ids: string[] = []

  beforeAll(async () => {
    for (let i = 0; i < 5; i++) {
      const id = uniqueId(`tok${i}`)
      ids.push(id)
      const coding = [{ system, code: i < 3 ? 'A' : 'B' }]
      if (i === 4) coding.push({ system: 'http://other.example', code: 'A' })
      await call('PUT', `/fhir/Observation/${id}`, {
        auth,
        body: { ...hba1c(id, 'p1'), code: { coding } },
      })
    }
  })

  async function search(query: string) {
    const res = await call('GET', `/fhir/Observation?${query}`, { auth })
    expect(res.status, query).toBe(200)
    return json(res)
  }
  const matchIds = (bundle: any) =>
    (bundle.entry ?? [])
      .filter((e: any) => e.search.mode === 'match')
      .map((e: any) => e.resource.id)
      .sort()

  it('system|code matches that coding only', async () => {
    expect(matchIds(await search(`code=${encodeURIComponent(system)}|A`))).toEqual(
      ids.slice(0, 3).sort()
    )
  })

  it('a comma is OR', async () => {
    expect(matchIds(await search(`code=${encodeURIComponent(`${system}|A,${system}|B`)}`))).toEqual(
      [...ids].sort()
    )
  })

  it('a repeated parameter is AND', async () => {
    const both = `code=${encodeURIComponent(`${system}|B`)}&code=${encodeURIComponent('http://other.example|A')}`
    expect(matchIds(await search(both))).toEqual([ids[4]])
  })

  it('system| matches any code in the system', async () => {
    expect(matchIds(await search(`code=${encodeURIComponent(`${system}|`)}`))).toEqual(
      [...ids].sort()
    )
  })

  it('|code matches codes without a system only', async () => {
    const id = uniqueId('nosys')
    const code = `nosys-${crypto.randomUUID()}`
    await call('PUT', `/fhir/Observation/${id}`, {
      auth,
      body: { ...hba1c(id, 'p1'), code: { coding: [{ code }] } },
    })
    await call('PUT', `/fhir/Observation/${id}-2`, {
      auth,
      body: {
        ...hba1c(`${id}-2`, 'p1'),
        code: { coding: [{ system: 'http://elsewhere.example', code }] },
      },
    })
    expect(matchIds(await search(`code=${encodeURIComponent(`|${code}`)}`))).toEqual([id])
    expect(matchIds(await search(`code=${code}`))).toEqual([id, `${id}-2`].sort())
  })

  it('_id matches ids, comma-separated', async () => {
    expect(matchIds(await search(`_id=${ids[0]},${ids[1]}`))).toEqual([ids[0], ids[1]].sort())
  })

  it('answers the seed page shape: searchset, absolute fullUrl, search.mode match, self link', async () => {
    const bundle = await search(`code=${encodeURIComponent(`${system}|A`)}`)
    expect(bundle.resourceType).toBe('Bundle')
    expect(bundle.type).toBe('searchset')
    expect(bundle.link[0].relation).toBe('self')
    expect(bundle.link[0].url).toContain('https://fhir.test/fhir/Observation?')
    for (const entry of bundle.entry) {
      expect(entry.fullUrl).toBe(`https://fhir.test/fhir/Observation/${entry.resource.id}`)
      expect(entry.search).toEqual({ mode: 'match' })
    }
  })

  it('pages with _count and a next link until every match was seen once', async () => {
    const seen: string[] = []
    let url: string | undefined =
      `/fhir/Observation?code=${encodeURIComponent(`${system}|`)}&_count=2`
    let pages = 0
    while (url) {
      const res = await call('GET', url, { auth })
      const bundle = await json(res)
      expect(bundle.entry.length).toBeLessThanOrEqual(2)
      seen.push(...bundle.entry.map((e: any) => e.resource.id))
      const next = bundle.link.find((l: any) => l.relation === 'next')
      url = next ? next.url.replace('https://fhir.test', '') : undefined
      pages++
    }
    expect(pages).toBe(3)
    expect(seen.sort()).toEqual([...ids].sort())
  })

  it('no longer finds a resource by a code its update removed (indexes follow updates)', async () => {
    const id = uniqueId('moved')
    const code = `moved-${crypto.randomUUID()}`
    const system = 'http://moved.example'
    await call('PUT', `/fhir/Observation/${id}`, {
      auth,
      body: { ...hba1c(id, 'p1'), code: { coding: [{ system, code }] } },
    })
    expect(matchIds(await search(`code=${code}`))).toEqual([id])
    await call('PUT', `/fhir/Observation/${id}`, {
      auth,
      body: { ...hba1c(id, 'p1'), code: { coding: [{ system, code: `${code}-new` }] } },
    })
    expect(matchIds(await search(`code=${code}`))).toEqual([])
    expect(matchIds(await search(`code=${code}-new`))).toEqual([id])
  })

  it('ignores an unknown parameter, reports it in an outcome entry, and leaves it out of the self link', async () => {
    const bundle = await search(`code=${encodeURIComponent(`${system}|A`)}&frobnicate=1`)
    expect(matchIds(bundle)).toEqual(ids.slice(0, 3).sort())
    const outcome = bundle.entry.find((e: any) => e.search.mode === 'outcome')
    expect(outcome.resource.resourceType).toBe('OperationOutcome')
    expect(outcome.resource.issue[0].diagnostics).toContain('frobnicate')
    expect(bundle.link[0].url).not.toContain('frobnicate')
  })

  it('400 for a malformed _count or cursor, naming the parameter', async () => {
    const count = await call('GET', '/fhir/Observation?_count=abc', { auth })
    expect(count.status).toBe(400)
    expect((await json(count)).issue[0].expression).toEqual(['_count'])
    expect((await call('GET', '/fhir/Observation?_cursor=nonsense', { auth })).status).toBe(400)
  })

  it('400 for a modifier it does not support rather than a silently wrong answer', async () => {
    expect((await call('GET', '/fhir/Observation?code:below=A', { auth })).status).toBe(400)
  })
})

// Small requests that would cost a lot are refused with a clear 4xx, before they cost it
// (issue 10, "denial of service with small requests"): JSON bodies nested deeper than 64 levels
// (400, checked before parsing, and never read at all for a caller no policy admits), Bundles whose
// reads would return too much or search too often (413 `too-costly` per entry), and ids that URLs
// cannot carry (`.` and `..`, R4 datatypes.html#id allows them; URLs normalise them away).

import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.ts'
import { call, json, ROOT, uniqueId } from './helpers.ts'

/** `depth` arrays nested in one another: `[[[...]]]`. */
const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth)
/** `n` extensions nested in one another (2 levels each), the innermost with `value` (R4-valid). */
const nestedExtensions = (n: number, value: string): string =>
  n === 0
    ? value
    : `[{"url":"urn:x",${n === 1 ? value : `"extension":${nestedExtensions(n - 1, value)}`}}]`
/**
 * A valid Patient whose own nesting (the resource object counted) is `depth`: nested extensions, the
 * innermost with a valueString (odd depths) or a valueCodeableConcept, one level more (even depths).
 */
const deepPatient = (id: string, depth: number) => {
  const value = depth % 2 ? '"valueString":"x"' : '"valueCodeableConcept":{"text":"x"}'
  const n = depth % 2 ? (depth - 1) / 2 : (depth - 2) / 2
  return `{"resourceType":"Patient","id":"${id}","extension":${nestedExtensions(n, value)}}`
}

describe('JSON nesting (64 levels)', () => {
  it('accepts a resource nested 64 levels and refuses 65 with a 400 naming the limit', async () => {
    const ok = uniqueId('deep')
    expect(
      (await call('PUT', `/fhir/Patient/${ok}`, { auth: ROOT, body: deepPatient(ok, 64) })).status
    ).toBe(201)
    const bad = uniqueId('deep')
    const res = await call('PUT', `/fhir/Patient/${bad}`, {
      auth: ROOT,
      body: deepPatient(bad, 65),
    })
    expect(res.status).toBe(400)
    expect((await json(res)).issue[0].diagnostics).toMatch(/deeper than 64 levels/)
    expect((await call('GET', `/fhir/Patient/${bad}`, { auth: ROOT })).status).toBe(404)
  })

  it('refuses a transaction whose entry nests too deep, before anything is written', async () => {
    const [a, b] = [uniqueId('tx-deep'), uniqueId('tx-deep')]
    const entry = (id: string, depth: number) =>
      `{"resource":${deepPatient(id, depth)},"request":{"method":"PUT","url":"Patient/${id}"}}`
    const body = `{"resourceType":"Bundle","type":"transaction","entry":[${entry(a, 3)},${entry(b, 65)}]}`
    const res = await call('POST', '/fhir', { auth: ROOT, body })
    expect(res.status).toBe(400)
    for (const id of [a, b])
      expect((await call('GET', `/fhir/Patient/${id}`, { auth: ROOT })).status).toBe(404)
  })

  it('refuses a JSON Patch nested too deep, sent as a body or as a Binary in a Bundle', async () => {
    const id = uniqueId('deep-patch')
    await call('PUT', `/fhir/Patient/${id}`, { auth: ROOT, body: { resourceType: 'Patient', id } })
    const patch = `[{"op":"add","path":"/x","value":${nested(70)}}]`
    const direct = await call('PATCH', `/fhir/Patient/${id}`, {
      auth: ROOT,
      body: patch,
      headers: { 'content-type': 'application/json-patch+json' },
    })
    expect(direct.status).toBe(400)
    const binary = {
      resourceType: 'Binary',
      contentType: 'application/json-patch+json',
      data: btoa(patch),
    }
    const res = await call('POST', '/fhir', {
      auth: ROOT,
      body: {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [{ resource: binary, request: { method: 'PATCH', url: `Patient/${id}` } }],
      },
    })
    expect((await json(res)).entry[0].response.status).toBe('400 Bad Request')
  })

  it('an anonymous caller no policy admits gets 401 for a 2-million-level Bundle, which is never read', async () => {
    const request = new Request('https://fhir.test/fhir', {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: `{"resourceType":"Bundle","type":"batch","entry":${nested(2_000_000)}}`,
    })
    const res = await buildApp().fetch(request, env)
    expect(res.status).toBe(401)
    expect(request.bodyUsed).toBe(false)
  })

  it('a caller who may post it gets a 400 for the same body, without parsing it', async () => {
    const res = await call('POST', '/fhir', {
      auth: ROOT,
      body: `{"resourceType":"Bundle","type":"batch","entry":${nested(2_000_000)}}`,
    })
    expect(res.status).toBe(400)
    expect((await json(res)).issue[0].diagnostics).toMatch(/deeper than 67 levels/)
  })
})

describe('what one Bundle may read', () => {
  const batch = (entry: unknown[]) =>
    call('POST', '/fhir', { auth: ROOT, body: { resourceType: 'Bundle', type: 'batch', entry } })
  const search = (n: number) => ({ request: { method: 'GET', url: `Patient?_id=none-${n}` } })

  it('runs at most 100 search and history entries; the others are 413 too-costly without running', async () => {
    const res = await batch([
      ...Array.from({ length: 101 }, (_, i) => search(i)),
      { request: { method: 'GET', url: 'metadata' } },
    ])
    const statuses = (await json(res)).entry.map((e: any) => e.response.status)
    expect(statuses.slice(0, 100).every((s: string) => s === '200 OK')).toBe(true)
    expect(statuses[100]).toBe('413 Content Too Large')
    expect(statuses[101]).toBe('200 OK')
    const outcome = (await json(await batch(Array.from({ length: 101 }, (_, i) => search(i)))))
      .entry[100].response.outcome
    expect(outcome.issue[0]).toMatchObject({ code: 'too-costly' })
  })

  it('a transaction with more than 100 searches is refused whole, before its writes', async () => {
    const id = uniqueId('tx-many')
    const res = await call('POST', '/fhir', {
      auth: ROOT,
      body: {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          {
            resource: { resourceType: 'Patient', id },
            request: { method: 'PUT', url: `Patient/${id}` },
          },
          ...Array.from({ length: 101 }, (_, i) => search(i)),
        ],
      },
    })
    expect(res.status).toBe(413)
    expect((await call('GET', `/fhir/Patient/${id}`, { auth: ROOT })).status).toBe(404)
  })

  it('stops returning reads past 8 MiB of results: later read entries are 413 too-costly', async () => {
    const text = 'x'.repeat(900_000)
    const ids = Array.from({ length: 10 }, () => uniqueId('big'))
    for (const id of ids) {
      const res = await call('PUT', `/fhir/Patient/${id}`, {
        auth: ROOT,
        body: {
          resourceType: 'Patient',
          id,
          text: {
            status: 'generated',
            div: `<div xmlns="http://www.w3.org/1999/xhtml">${text}</div>`,
          },
        },
      })
      expect(res.status).toBe(201)
    }
    const res = await batch(ids.map((id) => ({ request: { method: 'GET', url: `Patient/${id}` } })))
    const statuses = (await json(res)).entry.map((e: any) => e.response.status)
    expect(statuses.filter((s: string) => s === '200 OK').length).toBe(9)
    expect(statuses.slice(9)).toEqual(['413 Content Too Large'])
  })
})

describe('ids are never . or ..', () => {
  it('a Bundle entry naming Patient/.. or Patient/. is a 400, and Patient/... is an ordinary id', async () => {
    const entry = (id: string) => ({
      resource: { resourceType: 'Patient', id },
      request: { method: 'PUT', url: `Patient/${id}` },
    })
    const res = await call('POST', '/fhir', {
      auth: ROOT,
      body: {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [entry('..'), entry('.'), entry('...')],
      },
    })
    expect((await json(res)).entry.map((e: any) => e.response.status)).toEqual([
      '400 Bad Request',
      '400 Bad Request',
      '201 Created',
    ])
  })

  it('a conditional update that would create at id .. is a 400', async () => {
    const res = await call('PUT', `/fhir/Patient?identifier=urn:x|${uniqueId('dots')}`, {
      auth: ROOT,
      body: { resourceType: 'Patient', id: '..' },
    })
    expect(res.status).toBe(400)
  })
})

describe('a patch builds no more than a request may carry', () => {
  const patchOf = (id: string, ops: unknown[]) =>
    call('PATCH', `/fhir/Patient/${id}`, {
      auth: ROOT,
      body: ops,
      headers: { 'content-type': 'application/json-patch+json' },
    })

  it('copies that would grow a resource past 1 MiB are a 413, and nothing is written', async () => {
    const id = uniqueId('copy')
    await call('PUT', `/fhir/Patient/${id}`, { auth: ROOT, body: { resourceType: 'Patient', id } })
    const ops = [
      { op: 'add', path: '/x', value: ['y'.repeat(1000)] },
      ...Array.from({ length: 14 }, () => ({ op: 'copy', from: '/x', path: '/x/-' })),
    ]
    const res = await patchOf(id, ops)
    expect(res.status).toBe(413)
    expect(
      (await json(await call('GET', `/fhir/Patient/${id}`, { auth: ROOT }))).meta.versionId
    ).toBe('1')
  })

  it('patches that nest a resource deeper than 64 levels are a 422', async () => {
    const id = uniqueId('deepen')
    const put = await call('PUT', `/fhir/Patient/${id}`, { auth: ROOT, body: deepPatient(id, 60) })
    expect(put.status).toBe(201)
    // The innermost extension's valueCodeableConcept is 60 levels down (29 extensions); a coding
    // array below it is 61, a coding 62, and 5 extensions inside that coding 72.
    const concept = `${'/extension/0'.repeat(29)}/valueCodeableConcept`
    const deep = JSON.parse(`[{"extension":${nestedExtensions(5, '"valueString":"y"')}}]`)
    const res = await patchOf(id, [{ op: 'add', path: `${concept}/coding`, value: deep }])
    expect(res.status).toBe(422)
    expect((await json(res)).issue[0].diagnostics).toMatch(/deeper than 64 levels/)
    const shallow = await patchOf(id, [
      { op: 'add', path: `${concept}/coding`, value: [{ code: 'c' }] },
    ])
    expect(shallow.status).toBe(200)
  })
})

describe('what one Bundle may write and search', () => {
  it('answers write entries without their representation once the Bundle carries 8 MiB', async () => {
    const id = uniqueId('bigw')
    const div = `<div xmlns="http://www.w3.org/1999/xhtml">${'x'.repeat(900_000)}</div>`
    await call('PUT', `/fhir/Patient/${id}`, {
      auth: ROOT,
      body: { resourceType: 'Patient', id, text: { status: 'generated', div } },
    })
    const noOp = {
      resourceType: 'Binary',
      contentType: 'application/json-patch+json',
      data: btoa('[]'),
    }
    const res = await call('POST', '/fhir', {
      auth: ROOT,
      body: {
        resourceType: 'Bundle',
        type: 'batch',
        entry: Array.from({ length: 12 }, () => ({
          resource: noOp,
          request: { method: 'PATCH', url: `Patient/${id}` },
        })),
      },
    })
    expect(res.status).toBe(200)
    const text = await res.text()
    expect(text.length).toBeLessThan(9 * 1024 * 1024)
    const entries = JSON.parse(text).entry
    expect(entries.every((e: any) => e.response.status === '200 OK')).toBe(true)
    expect(entries.filter((e: any) => e.resource).length).toBe(9)
  })

  it('counts conditional criteria as searches: the 101st conditional delete of a batch is 413', async () => {
    const entry = (i: number) => ({
      request: { method: 'DELETE', url: `Patient?identifier=urn:budget|none-${i}` },
    })
    const res = await call('POST', '/fhir', {
      auth: ROOT,
      body: {
        resourceType: 'Bundle',
        type: 'batch',
        entry: Array.from({ length: 101 }, (_, i) => entry(i)),
      },
    })
    const statuses = (await json(res)).entry.map((e: any) => e.response.status)
    expect(statuses.slice(0, 100).every((s: string) => s === '204 No Content')).toBe(true)
    expect(statuses[100]).toBe('413 Content Too Large')
  })

  it('counts conditional references as searches: a transaction with 101 of them is 413 before it writes', async () => {
    const id = uniqueId('refs')
    const references = Array.from({ length: 101 }, (_, i) => ({
      reference: `Practitioner?identifier=urn:budget|r-${i}`,
    }))
    const res = await call('POST', '/fhir', {
      auth: ROOT,
      body: {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          {
            resource: { resourceType: 'Patient', id, generalPractitioner: references },
            request: { method: 'PUT', url: `Patient/${id}` },
          },
        ],
      },
    })
    expect(res.status).toBe(413)
    expect((await call('GET', `/fhir/Patient/${id}`, { auth: ROOT })).status).toBe(404)
  })
})

describe('conditional interactions select one resource, and only by criteria', () => {
  it('two entries of one transaction that create on the same criteria are a 400 naming both', async () => {
    const value = uniqueId('twice')
    const body = { resourceType: 'Patient', identifier: [{ system: 'urn:twice', value }] }
    const res = await call('POST', '/fhir', {
      auth: ROOT,
      body: {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          {
            resource: body,
            request: { method: 'PUT', url: `Patient?identifier=urn:twice|${value}` },
          },
          {
            resource: body,
            request: {
              method: 'POST',
              url: 'Patient',
              ifNoneExist: `identifier=urn:twice|${value}`,
            },
          },
        ],
      },
    })
    expect(res.status).toBe(400)
    expect((await json(res)).issue[0].diagnostics).toMatch(
      /Bundle\.entry\[[01]\] and Bundle\.entry\[[01]\] both create/
    )
    const found = await json(
      await call('GET', `/fhir/Patient?identifier=urn:twice|${value}&_total=accurate`, {
        auth: ROOT,
      })
    )
    expect(found.total).toBe(0)
  })

  it.each(['_cursor=abc', '_sort=name', '_count=1', '_include=Patient:link'])(
    'criteria with %s are a 400, never a way to pick one of several matches',
    async (param) => {
      const value = uniqueId('pick')
      for (let i = 0; i < 2; i++) {
        await call('POST', '/fhir/Patient', {
          auth: ROOT,
          body: { resourceType: 'Patient', identifier: [{ system: 'urn:pick', value }] },
        })
      }
      const res = await call('DELETE', `/fhir/Patient?identifier=urn:pick|${value}&${param}`, {
        auth: ROOT,
      })
      expect(res.status).toBe(400)
      const left = await json(
        await call('GET', `/fhir/Patient?identifier=urn:pick|${value}&_total=accurate`, {
          auth: ROOT,
        })
      )
      expect(left.total).toBe(2)
    }
  )

  it('a JWT in /auth/test-policy nested deeper than 64 levels is a 400', async () => {
    const claims = btoa(`{"a":${nested(5000)}}`)
      .replace(/=+$/, '')
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
    const res = await call('POST', '/auth/test-policy', {
      auth: ROOT,
      body: {
        request: { uri: '/fhir/Patient', headers: { authorization: `Bearer e30.${claims}.sig` } },
        policy: { engine: 'allow' },
      },
    })
    expect(res.status).toBe(400)
  })
})

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
/** A Patient whose own nesting (the resource object counted) is `depth`. */
const deepPatient = (id: string, depth: number) =>
  `{"resourceType":"Patient","id":"${id}","x":${nested(depth - 1)}}`

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

// history (R4 http.html#history): instance, type and system level; Bundle type history with request
// and response per entry, deleted versions without a resource, _since, _at, _count and paging.

import { beforeAll, describe, expect, it } from 'vitest'
import { allowedClient, call, json, uniqueId } from './helpers.ts'
import { patient } from './rest-helpers.ts'

let auth: string
beforeAll(async () => {
  auth = (await allowedClient('hist')).auth
})

async function get(path: string) {
  const res = await call('GET', path, { auth })
  expect(res.status, await res.clone().text()).toBe(200)
  return json(res)
}

async function writes(id: string, genders: string[], del = false): Promise<string[]> {
  const times: string[] = []
  for (const gender of genders) {
    const res = await call('PUT', `/fhir/Patient/${id}`, { auth, body: patient(id, { gender }) })
    times.push((await json(res)).meta.lastUpdated)
  }
  if (del) expect((await call('DELETE', `/fhir/Patient/${id}`, { auth })).status).toBe(204)
  return times
}

const nextPath = (bundle: any) =>
  bundle.link.find((l: any) => l.relation === 'next')?.url.replace('https://fhir.test', '')

describe('instance history (http.html#history)', () => {
  it('lists every version newest first, with request, response, and no resource for the deletion', async () => {
    const id = uniqueId('h')
    await writes(id, ['male', 'female'], true)
    const bundle = await get(`/fhir/Patient/${id}/_history`)
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'history' })
    expect(bundle.link[0]).toEqual({
      relation: 'self',
      url: `https://fhir.test/fhir/Patient/${id}/_history?_count=20`,
    })
    const [deletion, second, first] = bundle.entry
    expect(bundle.entry).toHaveLength(3)
    expect(deletion).not.toHaveProperty('resource')
    expect(deletion).toMatchObject({
      fullUrl: `https://fhir.test/fhir/Patient/${id}`,
      request: { method: 'DELETE', url: `Patient/${id}` },
      response: { status: '204 No Content', etag: 'W/"3"' },
    })
    expect(second).toMatchObject({
      resource: { id, gender: 'female', meta: { versionId: '2' } },
      request: { method: 'PUT', url: `Patient/${id}` },
      response: { status: '200 OK', etag: 'W/"2"', lastModified: second.resource.meta.lastUpdated },
    })
    expect(first).toMatchObject({
      resource: { gender: 'male' },
      response: { status: '201 Created', etag: 'W/"1"' },
    })
  })

  it('a create by POST appears with request POST Type', async () => {
    const res = await call('POST', '/fhir/Patient', { auth, body: patient() })
    const { id } = await json(res)
    const bundle = await get(`/fhir/Patient/${id}/_history`)
    expect(bundle.entry[0]).toMatchObject({
      request: { method: 'POST', url: 'Patient' },
      response: { status: '201 Created' },
    })
  })

  it('pages with _count through next links, each version once', async () => {
    const id = uniqueId('hpage')
    await writes(id, ['male', 'female', 'other', 'unknown', 'male'])
    const seen: string[] = []
    let path: string | undefined = `/fhir/Patient/${id}/_history?_count=2`
    let pages = 0
    while (path) {
      const bundle = await get(path)
      expect(bundle.entry.length).toBeLessThanOrEqual(2)
      seen.push(...bundle.entry.map((e: any) => e.response.etag))
      path = nextPath(bundle)
      pages++
    }
    expect(pages).toBe(3)
    expect(seen).toEqual(['W/"5"', 'W/"4"', 'W/"3"', 'W/"2"', 'W/"1"'])
  })

  it('_since keeps the versions written at or after it', async () => {
    const id = uniqueId('hsince')
    const times = await writes(id, ['male', 'female', 'other'])
    const bundle = await get(`/fhir/Patient/${id}/_history?_since=${encodeURIComponent(times[1]!)}`)
    expect(bundle.entry.map((e: any) => e.response.etag)).toEqual(['W/"3"', 'W/"2"'])
    expect(bundle.link[0].url).toContain('_since=')
  })

  it('_at keeps the version that was current at that time', async () => {
    const id = uniqueId('hat')
    const times = await writes(id, ['male', 'female', 'other'])
    const between = new Date(Date.parse(times[1]!)).toISOString()
    const bundle = await get(`/fhir/Patient/${id}/_history?_at=${encodeURIComponent(between)}`)
    expect(bundle.entry.map((e: any) => e.response.etag)).toEqual(['W/"2"'])
  })

  it('404 for a resource that never existed; an empty page has no entry', async () => {
    expect(
      (await call('GET', `/fhir/Patient/${uniqueId('hnone')}/_history`, { auth })).status
    ).toBe(404)
    const id = uniqueId('hempty')
    await writes(id, ['male'])
    const bundle = await get(`/fhir/Patient/${id}/_history?_since=2999-01-01`)
    expect(bundle).not.toHaveProperty('entry')
  })

  it('400 for parameters it does not support or cannot read, naming them', async () => {
    const id = uniqueId('hbad')
    await writes(id, ['male'])
    for (const [query, name] of [
      ['_list=x', '_list'],
      ['_since=yesterday', '_since'],
      ['_count=-1', '_count'],
      ['_cursor=zz', '_cursor'],
    ]) {
      const res = await call('GET', `/fhir/Patient/${id}/_history?${query}`, { auth })
      expect(res.status, query).toBe(400)
      expect((await json(res)).issue[0].expression, query).toEqual([name])
    }
  })
})

describe('type and system history (http.html#history)', () => {
  it('type history lists versions of that type only, newest first, and pages through all of them', async () => {
    const start = new Date(Date.now() - 1).toISOString()
    const a = uniqueId('ta')
    const b = uniqueId('tb')
    await writes(a, ['male', 'female'])
    await writes(b, ['other'], true)
    const ours: string[] = []
    let path: string | undefined =
      `/fhir/Patient/_history?_since=${encodeURIComponent(start)}&_count=2`
    while (path) {
      const bundle = await get(path)
      for (const e of bundle.entry ?? []) {
        expect(e.fullUrl).toMatch(/\/fhir\/Patient\//)
        if (e.fullUrl.endsWith(`/${a}`) || e.fullUrl.endsWith(`/${b}`))
          ours.push(`${e.fullUrl.split('/').pop()} ${e.response.etag}`)
      }
      path = nextPath(bundle)
    }
    expect(ours).toEqual([`${b} W/"2"`, `${b} W/"1"`, `${a} W/"2"`, `${a} W/"1"`])
  })

  it('system history includes every type', async () => {
    const start = new Date(Date.now() - 1).toISOString()
    const id = uniqueId('sys')
    await writes(id, ['male'])
    const obs = await call('POST', '/fhir/Basic', {
      auth,
      body: { resourceType: 'Basic', code: { text: id } },
    })
    const basicId = (await json(obs)).id
    const found = new Set<string>()
    let path: string | undefined = `/fhir/_history?_since=${encodeURIComponent(start)}&_count=50`
    while (path) {
      const bundle = await get(path)
      for (const e of bundle.entry ?? [])
        found.add(e.fullUrl.replace('https://fhir.test/fhir/', ''))
      path = nextPath(bundle)
    }
    expect(found).toContain(`Patient/${id}`)
    expect(found).toContain(`Basic/${basicId}`)
  })

  it('404 for the type history of a type that is not R4', async () => {
    expect((await call('GET', '/fhir/Spaceship/_history', { auth })).status).toBe(404)
  })
})

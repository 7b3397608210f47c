// The interaction table (src/fhir/interactions.ts) is the one description of the FHIR API: the Hono
// routes, Bundle entries and /auth/test-policy all resolve through it. R4 http.html lists the
// interactions; SMART App Launch 2 (scopes-and-launch-context) gives each its scope letter.

import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.ts'
import { FHIR_INTERACTIONS, matchInteraction } from '../../src/fhir/interactions.ts'
import { call, json, ROOT, uniqueId } from './helpers.ts'

const form = { 'content-type': 'application/x-www-form-urlencoded' }

describe('the interaction table', () => {
  it('is what the app mounts under /fhir: every row and path, in table order', () => {
    // /fhir/.well-known/smart-configuration is the token service's discovery (src/oauth/), not FHIR.
    const mounted = buildApp()
      .routes.filter(
        (r) =>
          r.path.startsWith('/fhir') &&
          !r.path.startsWith('/fhir/.well-known/') &&
          r.method !== 'ALL'
      )
      .map((r) => `${r.method} ${r.path}`)
    const rows = FHIR_INTERACTIONS.flatMap((row) =>
      [row.path].flat().map((p) => `${row.method} /fhir${p}`)
    )
    expect([...new Set(mounted)]).toEqual(rows)
  })

  it('gives every authorised interaction a SMART scope letter (SMART v2: c r u d s), batch/transaction `entries`', () => {
    const letters = Object.fromEntries(
      FHIR_INTERACTIONS.map((row) => [row.name, row.smart ?? null])
    )
    expect(letters).toEqual({
      capabilities: null,
      'history-system': 's',
      'batch-transaction': 'entries',
      'search-system': 's',
      'validate-system': 'c',
      'search-system-post': 's',
      'history-type': 's',
      'history-instance': 'r',
      vread: 'r',
      'validate-type': 'c',
      'search-type-post': 's',
      read: 'r',
      create: 'c',
      update: 'u',
      'conditional-update': 'u',
      patch: 'u',
      'conditional-patch': 'u',
      delete: 'd',
      'conditional-delete': 'd',
      'search-type': 's',
      'search-compartment': 's',
    })
  })

  it('marks exactly the searches and the read as applying granular scopes (docs/scopes.md)', () => {
    const granular = FHIR_INTERACTIONS.filter((row) => row.granular).map((row) => row.name)
    expect(granular.sort()).toEqual([
      'read',
      'search-compartment',
      'search-system',
      'search-system-post',
      'search-type',
      'search-type-post',
    ])
  })

  it('matches paths as the router does: static segments before parameters, first row wins', () => {
    const name = (method: string, path: string) => matchInteraction(method, path)?.route.name
    expect(name('GET', '/fhir/metadata')).toBe('capabilities')
    expect(name('GET', '/fhir/_history')).toBe('history-system')
    expect(name('GET', '/fhir/Patient/_history')).toBe('history-type')
    expect(name('GET', '/fhir/Patient/1/_history/2')).toBe('vread')
    expect(name('GET', '/fhir/Patient/1/Observation')).toBe('search-compartment')
    expect(name('POST', '/fhir/_search')).toBe('search-system-post')
    expect(name('POST', '/fhir/Patient/_search')).toBe('search-type-post')
    expect(name('POST', '/fhir/Patient/$validate')).toBe('validate-type')
    expect(name('POST', '/fhir/$validate')).toBe('validate-system')
    expect(name('POST', '/fhir/Patient')).toBe('create')
    expect(name('GET', '/fhir/')).toBe('search-system')
    expect(name('POST', '/fhir/Patient/1')).toBeUndefined()
    expect(matchInteraction('GET', '/fhir/Patient/1')?.params).toEqual({ type: 'Patient', id: '1' })
  })
})

describe('Bundle entries and test-policy match paths exactly as HTTP routing does', () => {
  /** What the app answers to a GET, as the kind of thing it is (the row that ran). */
  async function httpKind(path: string): Promise<string> {
    const res = await buildApp().request(
      `https://fhir.test${path}`,
      { headers: { authorization: ROOT } },
      env
    )
    const body = (await res.json()) as Record<string, any>
    return res.status === 200
      ? `${body.resourceType}${body.type ? `:${body.type}` : ''}`
      : String(res.status)
  }
  const kinds: Record<string, string> = {
    capabilities: 'CapabilityStatement',
    'history-system': 'Bundle:history',
    'history-type': 'Bundle:history',
    'search-type': 'Bundle:searchset',
    'search-system': 'Bundle:searchset',
  }

  it.each([
    '/fhir/%5Fhistory',
    '/fhir/Patient/%5Fhistory',
    '/fhir/%6Detadata',
    '/fhir/',
    '/fhir/Pat%69ent',
  ])('GET %s: the matcher picks the row HTTP routing runs', async (path) => {
    const row = matchInteraction('GET', path)?.route.name
    expect(kinds[row!], `${path} matched ${row}`).toBe(await httpKind(path))
  })

  it('a batch entry with a percent-encoded static segment runs that row (type history of Patient)', async () => {
    const res = await call('POST', '/fhir', {
      auth: ROOT,
      body: {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [{ request: { method: 'GET', url: 'Patient/%5Fhistory?_count=1' } }],
      },
    })
    const [entry] = (await json(res)).entry
    expect(entry.response.status).toBe('200 OK')
    expect(entry.resource).toMatchObject({ resourceType: 'Bundle', type: 'history' })
  })

  it('HEAD resolves like GET, as Hono answers HEAD with the GET route', () => {
    expect(matchInteraction('HEAD', '/fhir/Patient/1')?.route.name).toBe('read')
  })
})

describe('POST _search with the parameters in the URL only', () => {
  it('accepts a form Content-Type without a body (search.html#search-post)', async () => {
    const res = await buildApp().request(
      'https://fhir.test/fhir/Patient/_search?_count=1',
      { method: 'POST', headers: { authorization: ROOT, ...form } },
      env
    )
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ resourceType: 'Bundle', type: 'searchset' })
  })
})

describe('system search in every form of R4 http.html#search', () => {
  it('answers GET [base]/?_type=... (trailing slash, as fhir-kit-client sends it) like GET [base]?_type=...', async () => {
    const id = uniqueId('sys')
    await call('PUT', `/fhir/Patient/${id}`, { auth: ROOT, body: { resourceType: 'Patient', id } })
    for (const path of [`/fhir?_type=Patient&_id=${id}`, `/fhir/?_type=Patient&_id=${id}`]) {
      const res = await call('GET', path, { auth: ROOT })
      expect(res.status, path).toBe(200)
      const bundle = await json(res)
      expect(bundle.type).toBe('searchset')
      expect(bundle.entry.map((e: any) => e.resource.id)).toEqual([id])
    }
  })

  it('answers POST [base]/_search with the parameters in a form body', async () => {
    const id = uniqueId('sysform')
    await call('PUT', `/fhir/Patient/${id}`, { auth: ROOT, body: { resourceType: 'Patient', id } })
    const res = await call('POST', '/fhir/_search', {
      auth: ROOT,
      headers: form,
      body: `_type=Patient&_id=${id}`,
    })
    expect(res.status).toBe(200)
    const bundle = await json(res)
    expect(bundle.type).toBe('searchset')
    expect(bundle.entry.map((e: any) => e.resource.id)).toEqual([id])
    expect(bundle.link[0].url).toContain(`_id=${id}`)
  })

  it('POST [base]/_search takes only a form body (415 for JSON)', async () => {
    const res = await call('POST', '/fhir/_search', { auth: ROOT, body: { _type: 'Patient' } })
    expect(res.status).toBe(415)
  })
})

describe('POST /auth/test-policy resolves through the same tables', () => {
  it('names the operation of the row that would answer, and none for the public CapabilityStatement', async () => {
    const resolve = async (method: string, uri: string) => {
      const res = await call('POST', '/auth/test-policy', {
        auth: ROOT,
        body: { request: { 'request-method': method, uri }, policy: { engine: 'allow' } },
      })
      expect(res.status).toBe(200)
      return (await json(res)).operation?.id
    }
    expect(await resolve('post', '/fhir/_search')).toBe('FhirSearch')
    expect(await resolve('get', '/fhir/')).toBe('FhirSearch')
    expect(await resolve('get', '/fhir/metadata')).toBeUndefined()
    expect(await resolve('put', '/fhir/Patient')).toBe('FhirConditionalUpdate')
    expect(await resolve('delete', '/AccessPolicy/x')).toBe('Delete')
    expect(await resolve('head', '/fhir/Patient/1')).toBe('FhirRead')
    expect(await resolve('get', '/fhir/%5Fhistory')).toBe('FhirSystemHistory')
    expect(await resolve('get', '/fhir/Patient/%5Fhistory')).toBe('FhirTypeHistory')
  })
})

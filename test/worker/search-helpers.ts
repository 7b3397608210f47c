// Helpers shared by the search tests (search-*.test.ts): a private tag per test file, so searches see
// only that file's resources whatever else the shared D1 holds; resources written through the API;
// searches through the API or straight through the engine (to force one query plan or the other);
// the data the result-control tests share.

import { env } from 'cloudflare:test'
import { expect } from 'vitest'
import { allowedClient, call, json } from './helpers.ts'
import { parseSearch } from '../../src/fhir/search/parse.ts'
import { runSearch } from '../../src/fhir/search/run-search.ts'

export type Resource = Record<string, unknown> & { resourceType: string; id: string }
export type Bundle = Record<string, any>

export interface Fixture {
  /** `system|code` of the tag every resource of this fixture carries. */
  tag: string
  auth: string
  /** Writes the resources (PUT by id), each tagged with the fixture's tag. */
  put(...resources: Resource[]): Promise<void>
  /** GET /fhir/<path>?<query>&_tag=<tag>; asserts 200 and returns the Bundle. */
  search(path: string, query?: string, headers?: Record<string, string>): Promise<Bundle>
  /** The ids of the matches of that search, sorted. */
  ids(path: string, query?: string): Promise<string[]>
  /** The response of GET /fhir/<path>?<query>&_tag=<tag>, whatever its status. */
  get(path: string, query?: string, headers?: Record<string, string>): Promise<Response>
}

export async function fixture(prefix: string): Promise<Fixture> {
  const system = `urn:test:${prefix}:${crypto.randomUUID()}`
  const tag = `${system}|t`
  const { auth } = await allowedClient(prefix)
  const url = (path: string, query = '') =>
    `/fhir/${path}?${query ? `${query}&` : ''}_tag=${encodeURIComponent(tag)}`
  const get = (path: string, query = '', headers: Record<string, string> = {}) =>
    call('GET', url(path, query), { auth, headers })
  const search = async (path: string, query = '', headers: Record<string, string> = {}) => {
    const res = await get(path, query, headers)
    const text = await res.text()
    expect(res.status, `${path}?${query}: ${text}`).toBe(200)
    return JSON.parse(text) as Bundle
  }
  return {
    tag,
    auth,
    get,
    search,
    async put(...resources) {
      for (const r of resources) {
        const meta = {
          ...((r.meta as Record<string, unknown>) ?? {}),
          tag: [{ system, code: 't' }],
        }
        const res = await call('PUT', `/fhir/${r.resourceType}/${r.id}`, {
          auth,
          body: { ...r, meta },
        })
        if (res.status !== 200 && res.status !== 201)
          throw new Error(`PUT ${r.resourceType}/${r.id}: ${res.status} ${await res.text()}`)
      }
    },
    async ids(path, query = '') {
      return matchIds(await search(path, query))
    },
  }
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

/**
 * The data of the result-control tests (search-paging, search-result-content), in a fixture of its
 * own with ids from `p`: Practitioner p(90); Patients p(1) to p(7) as PATIENTS, each with p(90) as
 * general practitioner; Observations p(20) (of p(1), with narrative, category and a note) and p(21)
 * (of p(2)); Provenance p(30) by p(90), targeting p(20).
 */
export async function resultsFixture(p: (n: number) => string): Promise<Fixture> {
  const f = await fixture('results')
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
  return f
}

export function matchIds(bundle: Bundle): string[] {
  return ((bundle.entry ?? []) as any[])
    .filter((e) => e.search.mode === 'match')
    .map((e) => e.resource.id)
    .sort()
}

/** Match ids in Bundle order. */
export function orderedIds(bundle: Bundle): string[] {
  return ((bundle.entry ?? []) as any[])
    .filter((e) => e.search.mode === 'match')
    .map((e) => e.resource.id)
}

/** A unique suffix for ids and names in one test file (with a letter, so case matters to it). */
export const suffix = () => `s${crypto.randomUUID().slice(0, 8)}`

/** Runs a search through the engine with a chosen candidate-set limit (0: always walk). */
export async function engineIds(type: string, query: string, setLimit?: number): Promise<string[]> {
  const request = parseSearch(type, new URLSearchParams(query), { base: 'https://fhir.test' })
  request.setLimit = setLimit
  const { rows } = await runSearch(env.DB, request)
  return rows.map((r) => r.id)
}

/** Follows next links from a first GET, returning every page's match ids in order. */
export async function allPages(auth: string, path: string): Promise<string[][]> {
  const pages: string[][] = []
  let next: string | undefined = path
  while (next) {
    const res = await call('GET', next, { auth })
    expect(res.status).toBe(200)
    const bundle = await json(res)
    pages.push(orderedIds(bundle))
    const link = bundle.link.find((l: any) => l.relation === 'next')
    next = link ? link.url.replace('https://fhir.test', '') : undefined
    if (pages.length > 50) throw new Error('too many pages')
  }
  return pages
}

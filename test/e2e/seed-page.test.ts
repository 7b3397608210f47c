// End to end against a real `wrangler dev`: the seed page's three requests (register the Client,
// create its AccessPolicy, search Observations with the page's literal Basic header), on a fresh
// local D1/KV with the migrations applied and the shipped FHIR seed loaded through the API.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  applyMigrations,
  basicHeader,
  seedFhir,
  seedKv,
  startIsolatedDev,
  type DevServer,
} from '../../scripts/local.ts'

const ROOT = { id: 'e2e-root', secret: 'e2e-root-secret-0123456789' }
// Copied from the seed page, without the quotes around it there.
const SEED_PAGE_AUTHORIZATION = 'Basic Y2xpZW50LWNvbmZpZGVudGlhbC1zeW1tZXRyaWM6c2VjcmV0'

let server: DevServer & { persist: string }

beforeAll(async () => {
  server = await startIsolatedDev(ROOT)
  // Applying the migrations again is a no-op (what `npm start` relies on).
  applyMigrations(server.persist, true)
})

afterAll(async () => {
  await server?.stop()
})

const rootAuth = () => basicHeader(ROOT.id, ROOT.secret)

describe('the seed page, replayed against wrangler dev', () => {
  it('PUT /Client/client-confidential-symmetric registers the client (as root)', async () => {
    const res = await fetch(`${server.url}/Client/client-confidential-symmetric`, {
      method: 'PUT',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        authorization: rootAuth(),
      },
      body: JSON.stringify({
        id: 'client-confidential-symmetric',
        secret: 'secret',
        grant_types: ['basic'],
      }),
    })
    expect([200, 201]).toContain(res.status)
    const body = await res.json()
    expect(body).toMatchObject({
      resourceType: 'Client',
      id: 'client-confidential-symmetric',
      grant_types: ['basic'],
    })
    expect(body).not.toHaveProperty('secret')
  })

  it('PUT /AccessPolicy/client-confidential-symmetric-allow links the allow engine to it (as root)', async () => {
    const res = await fetch(`${server.url}/AccessPolicy/client-confidential-symmetric-allow`, {
      method: 'PUT',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        authorization: rootAuth(),
      },
      body: JSON.stringify({
        id: 'client-confidential-symmetric-allow',
        engine: 'allow',
        link: [{ resourceType: 'Client', id: 'client-confidential-symmetric' }],
      }),
    })
    expect([200, 201]).toContain(res.status)
  })

  it('loads the shipped FHIR seed with the bulk loader, and loading it again creates nothing', async () => {
    const first = await seedFhir(server.url, ROOT)
    expect(first).toMatchObject({ created: 574, existing: 0, failed: [] })
    const second = await seedFhir(server.url, ROOT)
    expect(second).toMatchObject({ created: 0, existing: 574, failed: [] })
  })

  it("GET /fhir/Observation?code=4548-4&_count=2 with the page's literal header answers a searchset Bundle", async () => {
    const res = await fetch(`${server.url}/fhir/Observation?code=4548-4&_count=2`, {
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        authorization: SEED_PAGE_AUTHORIZATION,
      },
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/json/)
    const bundle = (await res.json()) as any
    expect(bundle.resourceType).toBe('Bundle')
    expect(bundle.type).toBe('searchset')
    expect(bundle.entry).toHaveLength(2)
    for (const entry of bundle.entry) {
      expect(entry.search).toEqual({ mode: 'match' })
      expect(entry.fullUrl).toBe(`${server.url}/fhir/Observation/${entry.resource.id}`)
      expect(entry.resource.resourceType).toBe('Observation')
      expect(entry.resource.code.coding).toContainEqual(
        expect.objectContaining({ system: 'http://loinc.org', code: '4548-4' })
      )
      expect(entry.resource.valueQuantity).toMatchObject({
        unit: '%',
        system: 'http://unitsofmeasure.org',
        code: '%',
      })
      expect(entry.resource.meta).toMatchObject({ versionId: '1' })
    }
    expect(bundle.link.find((l: any) => l.relation === 'self').url).toBe(
      `${server.url}/fhir/Observation?code=4548-4&_count=2`
    )
    const next = bundle.link.find((l: any) => l.relation === 'next')
    expect(next).toBeDefined()
    const page2 = (await (
      await fetch(next.url, { headers: { authorization: SEED_PAGE_AUTHORIZATION } })
    ).json()) as any
    expect(page2.entry).toHaveLength(2)
    const firstIds = bundle.entry.map((e: any) => e.resource.id)
    for (const entry of page2.entry) expect(firstIds).not.toContain(entry.resource.id)
  })

  it('the KV seed file works the way the README says (wrangler kv bulk put)', async () => {
    // seed/kv.json holds the same Client (hashed secret) and policy; writing it over them is harmless.
    seedKv(server.persist, true)
    const res = await fetch(
      `${server.url}/fhir/Observation?code=http://loinc.org|4548-4&_count=1`,
      {
        headers: { authorization: SEED_PAGE_AUTHORIZATION },
      }
    )
    expect(res.status).toBe(200)
  })

  it('refuses the demo client with a wrong secret (401) and anonymous callers (401)', async () => {
    const wrong = await fetch(`${server.url}/fhir/Observation?code=4548-4`, {
      headers: { authorization: basicHeader('client-confidential-symmetric', 'not-the-secret') },
    })
    expect(wrong.status).toBe(401)
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic/)
    expect((await fetch(`${server.url}/fhir/Observation?code=4548-4`)).status).toBe(401)
  })
})

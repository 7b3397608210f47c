// Property-based fuzzing of authorisation (issue 10): generated requests (fuzz-arbitraries.ts) sent
// by clients holding narrow AccessPolicies, and anonymously, against the FHIR REST API, writes,
// batch and transaction Bundles, and the admin and debug API. Every response must keep the
// invariants of fuzz-harness.ts: no 5xx, no internals in the body, no resource or canary the caller
// may not read, no write the caller may not make, nothing stored changed by a refused request, 401
// for credentials that identify nobody, KV unchanged by non-admins. A fixed seed by default;
// VITE_FUZZ_SEED and VITE_FUZZ_RUNS (a multiplier) run it longer.

import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  adminRequest,
  bundleRequest,
  fhirRequest,
  writeRequest,
  type FuzzRequest,
} from './fuzz-arbitraries.ts'
import {
  expectInvariants,
  fuzzParams,
  historyViolations,
  refused,
  responseViolations,
  seedData,
  setUpPrincipals,
  type Principal,
  type Sent,
} from './fuzz-harness.ts'

let principals: Record<string, Principal>

beforeAll(async () => {
  await seedData()
  principals = await setUpPrincipals()
}, 60_000)

/** A property: `request` sent by one of `names` keeps every invariant. */
function holdsFor(names: string[], request: fc.Arbitrary<FuzzRequest>, runs: number) {
  return fc.assert(
    fc.asyncProperty(fc.constantFrom(...names), request, async (name, req) => {
      await expectInvariants(principals[name]!, principals.anonymous!, req)
    }),
    fuzzParams(runs)
  )
}

const NARROW = ['reader', 'creator', 'bundler', 'anonymous']

describe('the invariant checks are not vacuous', () => {
  const req: FuzzRequest = {
    method: 'GET',
    path: '/fhir/Patient',
    headers: [],
    auth: { kind: 'own' },
  }
  const sent = (status: number, json: unknown): Sent => ({
    status,
    headers: new Headers(),
    text: JSON.stringify(json),
    json,
    requestText: req.path,
  })

  it('flags an Encounter inside a searchset for a client that may read only Patients', () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'searchset',
      entry: [
        { resource: { resourceType: 'Patient', id: 'pt-1' } },
        { resource: { resourceType: 'Encounter', id: 'enc-1' } },
      ],
    }
    expect(responseViolations(principals.reader!, req, sent(200, bundle))).toEqual([
      'resource Encounter/enc-1 in the response',
    ])
  })

  it('flags a canary of an unreadable resource anywhere in the body, a 500, and SQL error text', () => {
    const outcome = {
      resourceType: 'OperationOutcome',
      issue: [{ diagnostics: 'D1_ERROR: near CANARY-Observation-obs-1: SQLITE_ERROR' }],
    }
    expect(responseViolations(principals.reader!, req, sent(500, outcome))).toEqual([
      expect.stringMatching(/^status 500/),
      'internal detail in body: D1_ERROR',
      'internal detail in body: SQLITE_ERROR',
      'canary CANARY-Observation-obs-1 in the response',
    ])
  })

  it('counts a 4xx, and a batch whose entries all failed, as refused', () => {
    expect(refused(sent(403, {}))).toBe(true)
    const batch = { resourceType: 'Bundle', type: 'batch-response' }
    const entry = (status: string) => ({ response: { status } })
    expect(refused(sent(200, { ...batch, entry: [entry('403'), entry('404 Not Found')] }))).toBe(
      true
    )
    expect(refused(sent(200, { ...batch, entry: [entry('403'), entry('201 Created')] }))).toBe(
      false
    )
  })
})

describe('requests by clients with narrow policies, and anonymous ones, keep every invariant', () => {
  it('on the FHIR REST API (every interaction, mutated paths and headers)', async () => {
    await holdsFor(NARROW, fhirRequest(), 160)
  }, 120_000)

  it('on creates, updates, patches and deletes of every type', async () => {
    await holdsFor(NARROW, writeRequest(), 140)
  }, 120_000)

  it('on batch and transaction Bundles, odd entries included', async () => {
    await holdsFor(NARROW, bundleRequest(), 90)
  }, 120_000)

  it('on the admin and debug API (/Client, /AccessPolicy, /$matcho, /auth/test-policy)', async () => {
    await holdsFor([...NARROW, 'debugger'], adminRequest(), 110)
  }, 120_000)

  it('leave every resource history whole: versions 1..n, the current row the last', async () => {
    expect(await historyViolations()).toEqual([])
  })
})

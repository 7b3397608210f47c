// Property-based fuzzing (issue 10) as a client whose policy allows everything: the same generated
// requests as fuzz-authz.test.ts, which here pass authorisation and reach every handler, so this
// file holds the server's robustness to them: no 5xx, no internals in the body, nothing stored
// changed by a refused request, every history whole. Its own file, so its writes (and admin
// writes) cannot change what the narrow clients of the other fuzz files see.

import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  adminRequest,
  bundleRequest,
  fhirRequest,
  searchRequest,
  writeRequest,
} from './fuzz-arbitraries.ts'
import {
  expectInvariants,
  fuzzParams,
  historyViolations,
  seedData,
  setUpPrincipals,
  type Principal,
} from './fuzz-harness.ts'

let full: Principal
let anonymous: Principal

beforeAll(async () => {
  await seedData()
  const principals = await setUpPrincipals()
  full = principals.full!
  anonymous = principals.anonymous!
}, 60_000)

describe('requests by a client allowed everything keep every invariant', () => {
  it('on every FHIR interaction, search, write, Bundle and admin or debug call', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          { arbitrary: fhirRequest(), weight: 3 },
          { arbitrary: searchRequest(), weight: 3 },
          { arbitrary: writeRequest(), weight: 3 },
          { arbitrary: bundleRequest(), weight: 2 },
          { arbitrary: adminRequest(), weight: 1 }
        ),
        async (req) => {
          await expectInvariants(full, anonymous, req)
        }
      ),
      fuzzParams(360)
    )
  }, 120_000)

  it('leave every resource history whole: versions 1..n, the current row the last', async () => {
    expect(await historyViolations()).toEqual([])
  })
})

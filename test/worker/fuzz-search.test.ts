// Property-based fuzzing of search authorisation (issue 10): generated searches (type, POST
// _search, system; modifiers, repeated and comma-separated values, result parameters, garbage; and
// chains, _has, _include/_revinclude and compartments unless KNOWN_OPEN leaves them out) by a
// client allowed to search only Patients (and the public Practitioner directory) and by anonymous
// callers. Each answer keeps the invariants of fuzz-harness.ts, and answers the same whether or
// not the resources the caller may not read exist: a search must not be an oracle on hidden data.

import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { linkProbeRequest, searchRequest, TYPES, type FuzzRequest } from './fuzz-arbitraries.ts'
import {
  deleteSeeded,
  describe as describeRequest,
  expectInvariants,
  fuzzParams,
  historyViolations,
  seedData,
  send,
  setUpPrincipals,
  type Principal,
  type Sent,
} from './fuzz-harness.ts'

let principals: Record<string, Principal>

beforeAll(async () => {
  await seedData()
  principals = await setUpPrincipals()
}, 60_000)

/** Mostly the types the callers may search, so most searches reach the search engine. */
const SEARCHED = ['Patient', 'Patient', 'Patient', 'Practitioner', 'Practitioner', ...TYPES]

/** The seeded types each caller may not read: deleting them must not change its answers. */
const HIDDEN: Record<string, string[]> = {
  reader: ['Organization', 'Encounter', 'Observation'],
  anonymous: ['Organization', 'Encounter', 'Observation', 'Patient'],
}

/** What a search answered, without what legitimately differs between two identical requests. */
function answer(sent: Sent): string {
  const json = sent.json as Record<string, any> | undefined
  if (json?.resourceType === 'Bundle') {
    const entries = (json.entry ?? []).map(
      (e: Record<string, any>) => `${e.fullUrl ?? e.resource?.resourceType} ${e.search?.mode}`
    )
    return JSON.stringify([sent.status, json.total, entries])
  }
  const codes = (json?.issue ?? []).map((i: Record<string, any>) => i.code)
  return JSON.stringify([sent.status, codes])
}

describe('searches by a client allowed only Patient (and by anonymous callers)', () => {
  it('keep every invariant', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('reader', 'anonymous'),
        searchRequest(undefined, SEARCHED),
        async (name, req) => {
          await expectInvariants(principals[name]!, principals.anonymous!, req)
        }
      ),
      fuzzParams(220)
    )
  }, 120_000)

  it('answer the same whether or not the resources the caller may not read exist', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('reader', 'anonymous'),
        fc.array(
          fc.oneof(
            { arbitrary: linkProbeRequest(['Patient', 'Practitioner']), weight: 2 },
            { arbitrary: searchRequest(undefined, SEARCHED), weight: 1 }
          ),
          { minLength: 1, maxLength: 15, size: 'max' }
        ),
        async (name, requests: FuzzRequest[]) => {
          const p = principals[name]!
          const before: string[] = []
          for (const req of requests) {
            before.push(answer(await expectInvariants(p, principals.anonymous!, req)))
          }
          await deleteSeeded(HIDDEN[name]!)
          try {
            for (const [i, req] of requests.entries()) {
              const after = answer(await send(p, req))
              if (after !== before[i]) {
                throw new Error(
                  `the answer depends on ${HIDDEN[name]!.join(', ')} the ${name} may not read:\n` +
                    `  with them: ${before[i]}\n  without:   ${after}\n  ${describeRequest(req)}`
                )
              }
            }
          } finally {
            await seedData(HIDDEN[name]!)
          }
        }
      ),
      fuzzParams(4)
    )
  }, 120_000)

  it('leave every resource history whole', async () => {
    expect(await historyViolations()).toEqual([])
  })
})

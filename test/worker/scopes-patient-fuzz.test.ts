// Property: a search under `patient/` scopes (SMART App Launch 2, scopes-and-launch-context.html)
// returns exactly what an in-memory filter keeps: the caller's criteria AND the scope's own
// restriction AND the Patient compartment of the patient in context (R4 compartmentdefinition-
// patient: for Observation, `subject` or `performer` refers to it), evaluated here in JavaScript,
// independently of the search engine; on every page, whatever the page size, with `_total`.

import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { fuzzParams } from './fuzz-harness.ts'
import { patientToken } from './patient-scope-helpers.ts'
import { entriesOf, getOk, privateTag } from './scope-helpers.ts'

const tag = privateTag('patient-fuzz')
const u = crypto.randomUUID().slice(0, 8)
const PATIENTS = ['x', 'y', 'z'].map((p) => `pf-${u}-${p}`)
const CATEGORIES = ['laboratory', 'vital-signs']

interface Obs {
  id: string
  subject: string
  performers: string[]
  category: string
}

const data: Obs[] = Array.from({ length: 24 }, (_, i) => ({
  id: `pf-${u}-o${i}`,
  subject: PATIENTS[i % 3]!,
  performers: PATIENTS.filter((_, j) => (i >> j) % 4 === 1),
  category: CATEGORIES[(i * 5) % 2]!,
}))

beforeAll(async () => {
  await tag.put(
    ...PATIENTS.map((id) => ({ resourceType: 'Patient', id })),
    ...data.map((o) => ({
      resourceType: 'Observation',
      id: o.id,
      status: 'final',
      code: { text: 'fuzz' },
      category: [{ coding: [{ code: o.category }] }],
      subject: { reference: `Patient/${o.subject}` },
      ...(o.performers.length && {
        performer: o.performers.map((p) => ({ reference: `Patient/${p}` })),
      }),
    }))
  )
}, 60_000)

/** A search parameter as sent, and what it means for one Observation. */
interface Param {
  text: string
  test: (o: Obs) => boolean
}

const param: fc.Arbitrary<Param> = fc.oneof(
  fc
    .constantFrom(...CATEGORIES)
    .map((c) => ({ text: `category=${c}`, test: (o: Obs) => o.category === c })),
  fc.constantFrom(...PATIENTS).map((p) => ({
    text: `subject=Patient/${p}`,
    test: (o: Obs) => o.subject === p,
  })),
  fc.constantFrom(...PATIENTS).map((p) => ({
    text: `performer=Patient/${p}`,
    test: (o: Obs) => o.performers.includes(p),
  }))
)

describe('patient/ scopes filter exactly (property)', () => {
  it('scoped search = criteria AND restriction AND compartment, on every page, with _total', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...PATIENTS),
        fc.option(fc.constantFrom(...CATEGORIES), { nil: undefined }),
        fc.array(param, { maxLength: 2 }),
        fc.constantFrom(2, 5, 100),
        async (patient, restriction, criteria, count) => {
          const scope = restriction
            ? `patient/Observation.rs?category=${restriction}`
            : 'patient/Observation.rs'
          const auth = await patientToken(scope, patient)
          const expected = data
            .filter((o) => o.subject === patient || o.performers.includes(patient))
            .filter((o) => !restriction || o.category === restriction)
            .filter((o) => criteria.every((p) => p.test(o)))
            .map((o) => `Observation/${o.id}`)
            .sort()
          const query = [...criteria.map((p) => p.text), tag.param].join('&')
          let url: string | undefined = `/fhir/Observation?${query}&_count=${count}&_total=accurate`
          const seen: string[] = []
          for (let page = 0; url && page < 40; page++) {
            const bundle = await getOk(url, auth)
            expect(bundle.total, `${scope} ${url}`).toBe(expected.length)
            seen.push(...entriesOf(bundle))
            const next = (bundle.link as { relation: string; url: string }[]).find(
              (l) => l.relation === 'next'
            )
            url = next && new URL(next.url).pathname + new URL(next.url).search
          }
          expect(seen.sort(), `${scope} ?${query}`).toEqual(expected)
        }
      ),
      fuzzParams(30)
    )
  }, 240_000)
})

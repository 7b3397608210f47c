// Property: a search under granular scopes (scopes-and-launch-context "Finer-grained resource
// constraints using search parameters") returns exactly the resources an in-memory filter keeps:
// the caller's criteria AND (restriction 1 OR restriction 2 ...), each restriction an AND of its
// parameters; across every page, whatever the page size and sort, with an accurate `_total`.
// Restrictions and criteria are drawn from a small vocabulary whose meaning is evaluated here in
// JavaScript, independently of the search engine.

import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { fuzzParams } from './fuzz-harness.ts'
import { getOk, entriesOf, privateTag, tokenWith } from './scope-helpers.ts'

const CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category'
const CATEGORIES = ['laboratory', 'vital-signs', 'social-history']
const STATUSES = ['final', 'preliminary', 'amended']
const CODES = ['A', 'B', 'C']
const YEARS = [2018, 2019, 2020, 2021]

interface Obs {
  id: string
  category: string
  status: string
  code: string
  year: number
}

/** A search parameter as sent, and what it means for one Observation. */
interface Param {
  text: string
  test: (o: Obs) => boolean
}

const param: fc.Arbitrary<Param> = fc.oneof(
  fc
    .constantFrom(...CATEGORIES)
    .map((c) => ({ text: `category=${c}`, test: (o: Obs) => o.category === c })),
  fc.constantFrom(...CATEGORIES).map((c) => ({
    text: `category=${CATEGORY}|${c}`,
    test: (o: Obs) => o.category === c,
  })),
  fc
    .constantFrom(...STATUSES)
    .map((s) => ({ text: `status=${s}`, test: (o: Obs) => o.status === s })),
  fc
    .constantFrom(...STATUSES)
    .map((s) => ({ text: `status:not=${s}`, test: (o: Obs) => o.status !== s })),
  fc.subarray(CODES, { minLength: 1, maxLength: 2 }).map((cs) => ({
    text: `code=${cs.join(',')}`,
    test: (o: Obs) => cs.includes(o.code),
  })),
  fc.constantFrom(...YEARS).map((y) => ({ text: `date=ge${y}`, test: (o: Obs) => o.year >= y })),
  fc.constantFrom(...YEARS).map((y) => ({ text: `date=lt${y}`, test: (o: Obs) => o.year < y }))
)

const restriction = fc.array(param, { minLength: 1, maxLength: 2 })

const tag = privateTag('scopes-fuzz')
const data: Obs[] = Array.from({ length: 30 }, (_, i) => ({
  id: `sf-${i}`,
  category: CATEGORIES[(i * 7) % 3]!,
  status: STATUSES[(i * 5) % 3 === 0 ? 0 : i % 3]!,
  code: CODES[(i * 11) % 3]!,
  year: YEARS[i % 4]!,
}))

beforeAll(async () => {
  await tag.put(
    ...data.map((o) => ({
      resourceType: 'Observation',
      id: o.id,
      status: o.status,
      category: [{ coding: [{ system: CATEGORY, code: o.category }] }],
      code: { coding: [{ system: 'urn:test:codes', code: o.code }] },
      effectiveDateTime: `${o.year}-06-15`,
    }))
  )
}, 60_000)

describe('granular scopes filter exactly (property)', () => {
  it('scoped search = criteria AND (OR of restrictions), on every page, with _total', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(restriction, { minLength: 1, maxLength: 3 }),
        fc.array(param, { maxLength: 2 }),
        fc.constantFrom(2, 5, 100),
        fc.constantFrom('', '&_sort=date', '&_sort=-date', '&_sort=status'),
        async (restrictions, criteria, count, sort) => {
          const scope = restrictions
            .map((r) => `system/Observation.rs?${r.map((p) => p.text).join('&')}`)
            .join(' ')
          const auth = await tokenWith(scope)
          const expected = data
            .filter((o) => criteria.every((p) => p.test(o)))
            .filter((o) => restrictions.some((r) => r.every((p) => p.test(o))))
            .map((o) => `Observation/${o.id}`)
            .sort()
          const query = [...criteria.map((p) => encodeParam(p.text)), tag.param].join('&')
          let url: string | undefined =
            `/fhir/Observation?${query}&_count=${count}&_total=accurate${sort}`
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
          expect(seen.sort(), `${scope} ?${query}${sort}`).toEqual(expected)
        }
      ),
      fuzzParams(40)
    )
  }, 240_000)
})

/** `name=value` with the value percent-encoded (`|` and `,` stay readable to the server). */
function encodeParam(text: string): string {
  const at = text.indexOf('=')
  return `${text.slice(0, at)}=${encodeURIComponent(text.slice(at + 1))}`
}

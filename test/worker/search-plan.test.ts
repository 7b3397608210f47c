// Query plans of the main search shapes (docs/search.md "Query plans"): EXPLAIN QUERY PLAN of the SQL the
// engine builds must seek indexes everywhere, never scan an index table or the resource table. Guarded
// statements hold every branch the planner may pick, so each branch's plan is checked.

import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { Binder } from '../../src/fhir/search/binder.ts'
import { parseSearch } from '../../src/fhir/search/parse.ts'
import { countQuery, pageQuery } from '../../src/fhir/search/plan.ts'
import type { Cursor } from '../../src/fhir/search/request.ts'

async function plan(
  type: string,
  query: string,
  cursor?: Cursor,
  count = false
): Promise<string[]> {
  const request = parseSearch(type, new URLSearchParams(query), { base: 'https://fhir.test' })
  expect(request.ignored).toEqual([])
  const q = count
    ? countQuery(request, 10_000)
    : pageQuery(request, cursor ?? request.cursor, request.count + 1)
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${q.sql}`)
    .bind(...q.params)
    .all<{ detail: string }>()
  return results.map((r) => r.detail)
}

/**
 * Lines that read a whole table or index: `SCAN x` other than intermediate results (subqueries, the
 * guards g1/g2 and their threshold lim, a sorted candidate set `cand`, a sorted page `s`) and JSON lists.
 */
function scans(lines: string[]): string[] {
  const intermediate = /^SCAN (\(subquery-\d+\)|g\d|lim|CONSTANT ROW|cand\d+|s)( |$)/
  return lines.filter((l) => /^SCAN /.test(l) && !intermediate.test(l) && !/VIRTUAL TABLE/.test(l))
}

const SHAPES: [string, string, string, RegExp[]][] = [
  ['token', 'Observation', 'code=4548-4', [/SEARCH d\d+ USING PRIMARY KEY \(sp=\? AND code=\?\)/]],
  [
    'token system|code',
    'Observation',
    'code=http://loinc.org%7C4548-4',
    [/SEARCH d\d+ USING PRIMARY KEY \(sp=\? AND code=\?\)/],
  ],
  [
    'reference',
    'Observation',
    'subject=Patient/123',
    [/SEARCH d\d+ USING PRIMARY KEY \(sp=\? AND target=\?\)/],
  ],
  [
    'reference + date',
    'Observation',
    'patient=123&date=ge2015',
    [/USING COVERING INDEX ix_date_pk \(pk=\? AND sp=\?\)/],
  ],
  [
    'date range',
    'Observation',
    'date=ge2015-03-01&date=lt2015-04-01',
    [/ix_date_long/, /USING PRIMARY KEY \(sp=\? AND lo>\? AND lo<\?\)/],
  ],
  ['date eq', 'Observation', 'date=2015-03', [/USING PRIMARY KEY \(sp=\? AND lo>\? AND lo<\?\)/]],
  ['string prefix', 'Patient', 'name=smi', [/USING PRIMARY KEY \(sp=\? AND norm>\? AND norm<\?\)/]],
  ['string + token', 'Patient', 'family=smi&gender=male', [/ix_string_pk/]],
  [
    'chain',
    'Observation',
    'subject:Patient.name=smith',
    [/USING PRIMARY KEY \(sp=\? AND target=\?\)/],
  ],
  ['chain 3 levels', 'Observation', 'subject:Patient.organization.partof.name=acme', [/SEARCH/]],
  ['_has', 'Patient', '_has:Observation:subject:code=4548-4', [/ix_ref_pk/]],
  ['quantity', 'Observation', 'value-quantity=gt5%7Chttp://unitsofmeasure.org%7Cmg', [/SEARCH/]],
  [
    'composite',
    'Observation',
    'component-code-value-quantity=8480-6$gt140',
    [/USING PRIMARY KEY \(sp=\? AND key=\?\)/],
  ],
  ['_lastUpdated', 'Observation', '_lastUpdated=gt2026-01-01', [/resource_type_updated/]],
  // OR-ed values as one json_each list that drives the same seek once per value (search.html#combining).
  ['token list', 'Observation', 'code=a,b,c', [/SCAN j\d+ VIRTUAL TABLE/, /\(sp=\? AND code=\?\)/]],
  [
    'token system|code list',
    'Observation',
    'code=s%7Ca,s%7Cb&status=final',
    [/SCAN j\d+ VIRTUAL TABLE/, /x\d+ USING PRIMARY KEY \(sp=\? AND code=\?\)/],
  ],
  ['string prefix list', 'Patient', 'name=a,b,c,d,e,f', [/\(sp=\? AND norm>\? AND norm<\?\)/]],
  [
    'date list of mixed prefixes',
    'Observation',
    'date=2010,2011,ge2012,ge2013',
    [/\(sp=\? AND lo>\? AND lo<\?\)/, /ix_date_hi \(sp=\? AND hi>\?\)/],
  ],
  [
    'quantity list with units',
    'Observation',
    'value-quantity=1%7Chttp://u.org%7Cmg,2%7Chttp://u.org%7Cmg',
    [/\(sp=\? AND code=\? AND system=\? AND v>\? AND v<\?\)/, /ix_quantity_iv/],
  ],
  [
    'composite list',
    'Observation',
    'component-code-value-quantity=8480-6$gt140,8462-4$lt90',
    [/USING PRIMARY KEY \(sp=\? AND key=\?\)/],
  ],
  ['uri :below list', 'Questionnaire', 'url:below=http://a.org,http://b.org', [/uri>\? AND uri</]],
  ['token :text list', 'Observation', 'code:text=abc,def', [/\(sp=\? AND norm>\? AND norm<\?\)/]],
  [
    '_lastUpdated list',
    'Observation',
    '_lastUpdated=2025,2026',
    [/resource_type_updated \(type=\? AND last_updated>\? AND last_updated<\?\)/],
  ],
  [
    'many AND-ed parameters',
    'Patient',
    Array.from({ length: 39 }, (_, i) => `name=n${i}`).join('&'),
    [/ix_string_pk/],
  ],
  ['no filter', 'Observation', '', [/resource_type_pk/]],
  ['sort -date', 'Observation', 'code=8867-4&_sort=-date', [/ix_date_hi/]],
  ['sort family (S2)', 'Patient', '_sort=family', [/USING PRIMARY KEY \(sp=\?\)/]],
  [
    'sort, two keys, selective filter',
    'Observation',
    'subject=Patient/1&_sort=-date,code',
    [/ix_date_pk/, /ix_token_pk/],
  ],
  ['sort _lastUpdated', 'Observation', '_sort=-_lastUpdated', [/resource_type_updated/]],
]

describe('no full scans in the main query shapes (EXPLAIN QUERY PLAN)', () => {
  it.each(SHAPES)('%s: %s?%s', async (_name, type, query, expected) => {
    const lines = await plan(type, query)
    expect(scans(lines), lines.join('\n')).toEqual([])
    for (const re of expected) expect(lines.join('\n')).toMatch(re)
  })

  it('the seed page token search walks one index range in pk order, with no sort step', async () => {
    const lines = await plan('Observation', 'code=4548-4&_count=2')
    expect(lines.join('\n')).not.toMatch(/TEMP B-TREE/)
    expect(lines).toHaveLength(2)
  })

  it('a next page seeks from the cursor (token walk, date-sorted walk)', async () => {
    const token = await plan('Observation', 'code=4548-4', { before: false, pk: 1000, keys: [] })
    expect(token.join('\n')).toMatch(/\(sp=\? AND code=\? AND pk>\?\)/)
    const sorted = await plan('Observation', 'code=8867-4&_sort=-date', {
      before: false,
      pk: 1000,
      keys: [1_400_000_000_000],
    })
    expect(scans(sorted)).toEqual([])
    expect(sorted.join('\n')).toMatch(/ix_date_hi \(sp=\? AND hi<\?\)/)
    const previous = await plan('Observation', 'code=8867-4&_sort=-date', {
      before: true,
      pk: 1000,
      keys: [1_400_000_000_000],
    })
    expect(scans(previous)).toEqual([])
  })

  it('values past the 99th bound parameter travel in one JSON parameter and still drive seeks', async () => {
    const b = new Binder()
    const filler = Array.from({ length: 120 }, (_, i) => b.bind(`v${i}`))
    const sp = b.bind(12345)
    const code = b.bind('x')
    expect([sp, code]).toEqual(['(?100 ->> 21)', '(?100 ->> 22)'])
    expect(b.values).toHaveLength(100)
    const { results } = await env.DB.prepare(
      `EXPLAIN QUERY PLAN SELECT pk FROM ix_token WHERE sp = ${sp} AND code = ${code} AND ${filler[119]} = 'v119'`
    )
      .bind(...b.values)
      .all<{ detail: string }>()
    expect(results.map((r) => r.detail).join('\n')).toMatch(
      /USING PRIMARY KEY \(sp=\? AND code=\?\)/
    )
    const row = await env.DB.prepare(`SELECT ${filler[0]} AS a, ${filler[119]} AS z, ${sp} AS n`)
      .bind(...b.values)
      .first()
    expect(row).toEqual({ a: 'v0', z: 'v119', n: 12345 })
  })

  it('_total counts through the same seeks', async () => {
    const lines = await plan('Observation', 'code=4548-4', undefined, true)
    expect(scans(lines)).toEqual([])
  })
})

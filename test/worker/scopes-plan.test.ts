// Granular SMART scope restrictions are compiled into the search statement like any other filter
// (docs/scopes.md "Granular scopes"): EXPLAIN QUERY PLAN of restricted searches seeks indexes and never
// scans an index table or the resource table, so a restriction costs what its parameters cost in a
// search, not a pass over the type. The restriction comes from the same parser a token's scope goes
// through (search/restrict.ts).

import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { parseResourceScope, scopeAccess, type ScopeQuery } from '../../src/config/scopes.ts'
import { parseSearch } from '../../src/fhir/search/parse.ts'
import { countQuery, pageQuery } from '../../src/fhir/search/plan.ts'
import { restrictionFilters } from '../../src/fhir/search/restrict.ts'

/** The restrictions `scopes` put on searches of each of `types`. */
function restrictions(scopes: string, types: string[]): Map<string, readonly ScopeQuery[]> {
  const parsed = scopes.split(' ').map((s) => parseResourceScope(s)!)
  const out = new Map<string, readonly ScopeQuery[]>()
  for (const type of types) {
    const access = scopeAccess(parsed, type, 's')
    if (access.kind === 'restricted') out.set(type, access.restrictions)
  }
  return out
}

async function plan(type: string, query: string, scopes: string, count = false) {
  const request = parseSearch(type, new URLSearchParams(query), { base: 'https://fhir.test' })
  const types = [type, 'Patient', 'Observation']
  request.restrictions = restrictionFilters(restrictions(scopes, types), 's', 'https://fhir.test')
  const q = count ? countQuery(request, 10_000) : pageQuery(request, undefined, request.count + 1)
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${q.sql}`)
    .bind(...q.params)
    .all<{ detail: string }>()
  return results.map((r) => r.detail)
}

function scans(lines: string[]): string[] {
  const intermediate = /^SCAN (\(subquery-\d+\)|g\d|lim|CONSTANT ROW|cand\d+|s)( |$)/
  return lines.filter((l) => /^SCAN /.test(l) && !intermediate.test(l) && !/VIRTUAL TABLE/.test(l))
}

const LAB = 'system/Observation.rs?category=laboratory'

const SHAPES: [string, string, string, string, RegExp][] = [
  ['restriction alone walks its index', 'Observation', '', LAB, /\(sp=\? AND code=\?\)/],
  ['restriction + criteria', 'Observation', 'code=4548-4', LAB, /\(sp=\? AND code=\?\)/],
  ['restriction + sort', 'Observation', '_sort=-date', LAB, /ix_date_hi/],
  [
    'two restrictions (a union)',
    'Observation',
    'subject=Patient/1',
    `${LAB} system/Observation.s?category=vital-signs&status=final`,
    /\(sp=\? AND target=\?\)/,
  ],
  [
    'union without other criteria',
    'Observation',
    '',
    `${LAB} system/Observation.s?category=vital-signs&status=final`,
    /\(sp=\? AND code=\?\)/,
  ],
  [
    'chain through a restricted type',
    'Observation',
    'subject:Patient.name=smith',
    'system/Observation.s system/Patient.s?gender=female',
    /ix_string_pk \(pk=\? AND sp=\? AND norm>\? AND norm<\?\)/,
  ],
  [
    '_has through a restricted type',
    'Patient',
    '_has:Observation:subject:code=4548-4',
    `system/Patient.s ${LAB}`,
    /ix_ref_pk/,
  ],
]

describe('restricted searches seek indexes (EXPLAIN QUERY PLAN)', () => {
  it.each(SHAPES)('%s: %s?%s', async (_name, type, query, scopes, expected) => {
    for (const count of [false, true]) {
      const lines = await plan(type, query, scopes, count)
      expect(scans(lines), lines.join('\n')).toEqual([])
      if (!count) expect(lines.join('\n')).toMatch(expected)
    }
  })
})

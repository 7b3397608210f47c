// Slow policies are bounded (issue 10; docs/access-policies.md#limits): policies and requests that
// took seconds (a #regex or a json-schema format that backtracks, a schema that doubles its work at
// each level, a validator loop over a large request, a slow sql query) now deny within a bound.
// Each input is sized to take seconds on an engine without the bound.
import { describe, expect, it } from 'vitest'
import { compilePolicy, evaluatePolicy } from '../../src/policy/engines/index.ts'
import type { AccessPolicyInput, EvaluationContext } from '../../src/policy/engines/index.ts'

/** Bound on one evaluation of a pathological policy; a normal one takes microseconds. */
const BOUND_MS = 50

/** Evaluates `policy` and times it: the answer (an error counts as a deny, as in authorize.ts). */
async function timed(
  policy: AccessPolicyInput,
  request: Record<string, unknown>,
  ctx: EvaluationContext = {}
): Promise<{ allowed: boolean; ms: number }> {
  const compiled = compilePolicy(policy)
  const start = performance.now()
  let allowed: boolean
  try {
    allowed = await evaluatePolicy(compiled, request, ctx)
  } catch {
    allowed = false
  }
  return { allowed, ms: performance.now() - start }
}

function headers(value: string): Record<string, unknown> {
  return { 'request-method': 'get', uri: '/fhir/Patient', headers: { 'x-probe': value } }
}

describe('slow policies deny within a bound (docs/access-policies.md#limits)', () => {
  it('a matcho #regex with stacked wildcards on a 2000-character header', async () => {
    // Native backtracking is cubic here: 2000 characters took ~2 s, 4000 took ~20 s.
    const policy = { engine: 'matcho', matcho: { headers: { 'x-probe': '#.*.*=' } } }
    const result = await timed(policy, headers('a'.repeat(2000)))
    expect(result.allowed).toBe(false)
    expect(result.ms).toBeLessThan(BOUND_MS)
    expect((await timed(policy, headers(`${'a'.repeat(2000)}=`))).allowed).toBe(true)
  })

  it('a json-schema pattern with stacked wildcards on a 2000-character header', async () => {
    const policy = {
      engine: 'json-schema',
      schema: { properties: { headers: { properties: { 'x-probe': { pattern: '.*.*=' } } } } },
    }
    const result = await timed(policy, headers('a'.repeat(2000)))
    expect(result.allowed).toBe(false)
    expect(result.ms).toBeLessThan(BOUND_MS)
  })

  it('a json-schema format "url" is refused when saved: its check is exponential', () => {
    // In @cfworker/json-schema, "http://" followed by 28 letters and "!" takes seconds to check.
    const schema = { properties: { headers: { properties: { 'x-probe': { format: 'url' } } } } }
    expect(() => compilePolicy({ engine: 'json-schema', schema })).toThrow(
      /schema\.properties\.headers\.properties\.x-probe\.format: format "url" is not supported/
    )
  })

  it('a json-schema format runs only on strings up to 4096 characters, else denies', async () => {
    const schema = { properties: { headers: { properties: { 'x-probe': { format: 'uri' } } } } }
    const policy = { engine: 'json-schema', schema }
    const uri = `https://example.org/${'a'.repeat(4096 - 20)}`
    expect((await timed(policy, headers(uri))).allowed).toBe(true)
    const { allowed, ms } = await timed(policy, headers(`${uri}a`))
    expect(allowed).toBe(false)
    expect(ms).toBeLessThan(BOUND_MS)
  })

  it('a json-schema schema whose $refs double at each level (2^24 subschemas)', async () => {
    const definitions: Record<string, unknown> = { d24: { type: 'object' } }
    for (let i = 0; i < 24; i++) {
      const next = { $ref: `#/definitions/d${i + 1}` }
      definitions[`d${i}`] = { allOf: [next, next] }
    }
    const policy = { engine: 'json-schema', schema: { definitions, $ref: '#/definitions/d0' } }
    const result = await timed(policy, headers('x'))
    expect(result.allowed).toBe(false)
    expect(result.ms).toBeLessThan(BOUND_MS)
  })

  it('a json-schema uniqueItems over a request array of 20,000 distinct objects', async () => {
    const policy = {
      engine: 'json-schema',
      schema: { properties: { body: { properties: { entry: { uniqueItems: true } } } } },
    }
    const entry = Array.from({ length: 20_000 }, (_, i) => ({ i }))
    const result = await timed(policy, { body: { entry } })
    expect(result.allowed).toBe(false)
    expect(result.ms).toBeLessThan(BOUND_MS)
  })

  it('a matcho $every comparing each element of a large array with a .path reference', async () => {
    // 1000 elements, each deep-compared key by key with a 1000-key object: 2 million steps.
    const wide = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i]))
    const policy = { engine: 'matcho', matcho: { body: { list: { $every: '.body.ref' } } } }
    const list = Array.from({ length: 1000 }, () => ({ ...wide }))
    const result = await timed(policy, { body: { ref: wide, list } })
    expect(result.allowed).toBe(false)
    expect(result.ms).toBeLessThan(BOUND_MS)
  })

  it('a sql query that has not answered within the timeout denies', async () => {
    // D1 cannot cancel a query; the Worker stops waiting. Locally a cross join of json_each over a
    // bound 400-element array (64 million rows) takes seconds; this database never answers.
    const stalled = {
      prepare: () => ({ bind: () => ({ raw: () => new Promise<never>(() => {}) }) }),
    } as unknown as D1Database
    const query = 'SELECT count(*) > 0 FROM json_each({{body.a}}) x, json_each({{body.a}}) y'
    const result = await timed(
      { engine: 'sql', sql: { query } },
      { body: { a: '[]' } },
      {
        db: stalled,
        sqlTimeoutMs: 100,
      }
    )
    expect(result.allowed).toBe(false)
    expect(result.ms).toBeGreaterThanOrEqual(99)
    expect(result.ms).toBeLessThan(100 + BOUND_MS)
  })
})

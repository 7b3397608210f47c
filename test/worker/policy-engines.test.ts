// AccessPolicy compilation and the allow, matcho, json-schema and complex engines
// (docs/aidbox.md#engines), plus pruning of empty request values (docs/aidbox.md#request-object).
// Tests named "(our choice)" pin behaviour Aidbox leaves open
// (docs/aidbox.md#where-aidbox-is-silent).
import { describe, expect, it } from 'vitest'
import {
  PolicyValidationError,
  compileJsonSchema,
  compilePolicy,
  evaluateJsonSchema,
  evaluatePolicy,
  evaluatePolicySync,
  pruneEmpty,
} from '../../src/policy/engines/index.ts'
import type { AccessPolicyInput, PolicyIssue } from '../../src/policy/engines/index.ts'

function issuesOf(policy: AccessPolicyInput): PolicyIssue[] {
  try {
    compilePolicy(policy)
  } catch (e) {
    expect(e).toBeInstanceOf(PolicyValidationError)
    return [...(e as PolicyValidationError).issues]
  }
  throw new Error('expected a PolicyValidationError')
}

function schemaIssues(schema: unknown): PolicyIssue[] {
  try {
    compileJsonSchema(schema)
  } catch (e) {
    expect(e).toBeInstanceOf(PolicyValidationError)
    return [...(e as PolicyValidationError).issues]
  }
  throw new Error('expected a PolicyValidationError')
}

const yes = { engine: 'matcho', matcho: { uri: 'present?' } }
const no = { engine: 'matcho', matcho: { uri: 'nil?' } }
const request = { uri: '/fhir/Patient', 'request-method': 'get' }

describe('compilePolicy: engine validation (docs/access-policies.md#validation-when-saved)', () => {
  it('requires an engine', () => {
    expect(issuesOf({ matcho: {} })).toEqual([
      { path: 'engine', message: expect.stringMatching(/engine is required/) },
    ])
    expect(() => compilePolicy({ engine: 'allow' })).not.toThrow()
  })

  it('rejects an unknown engine, listing the supported ones', () => {
    expect(issuesOf({ engine: 'magic' })).toEqual([
      { path: 'engine', message: expect.stringMatching(/unknown engine "magic".*matcho/) },
    ])
  })

  it('rejects Aidbox engines this server does not implement (matcho-rpc, smart-on-fhir…)', () => {
    for (const engine of ['allow-rpc', 'matcho-rpc', 'signed-rpc', 'smart-on-fhir', 'clj']) {
      expect(issuesOf({ engine })[0]?.message).toMatch(/not supported/)
    }
  })

  it('requires each engine body: matcho object, schema, sql.query', () => {
    expect(issuesOf({ engine: 'matcho' })[0]).toMatchObject({ path: 'matcho' })
    expect(issuesOf({ engine: 'matcho', matcho: '#x' })[0]).toMatchObject({ path: 'matcho' })
    expect(issuesOf({ engine: 'json-schema' })[0]).toMatchObject({ path: 'schema' })
    expect(issuesOf({ engine: 'sql' })[0]).toMatchObject({ path: 'sql' })
    expect(issuesOf({ engine: 'sql', sql: { query: 1 } })[0]).toMatchObject({ path: 'sql.query' })
  })

  it('reports nested rule problems with their paths', () => {
    const issues = issuesOf({
      engine: 'complex',
      and: [yes, { engine: 'matcho', matcho: { uri: '#(' } }, { engine: 'nope' }],
    })
    expect(issues.map((i) => i.path)).toEqual(['and[1].matcho.uri', 'and[2].engine'])
  })
})

describe('engine allow (docs/aidbox.md#engines)', () => {
  it('allows every request, even an empty one', async () => {
    const policy = compilePolicy({ engine: 'allow' })
    expect(policy.sync).toBe(true)
    expect(await evaluatePolicy(policy, {})).toBe(true)
    expect(evaluatePolicySync(policy, request)).toBe(true)
  })
})

describe("engine matcho: Aidbox's example policies (docs/access-policies.md#matcho)", () => {
  const crud = compilePolicy({
    engine: 'matcho',
    matcho: {
      params: { 'resource/type': { $enum: ['Patient', 'Practitioner'] } },
      'request-method': { $enum: ['get', 'post', 'patch', 'put'] },
    },
  })

  it('allows CRUD on listed types (as-client-crud-patients example)', async () => {
    const get = { 'request-method': 'get', params: { 'resource/type': 'Patient' } }
    expect(await evaluatePolicy(crud, get)).toBe(true)
  })

  it('denies other types and methods', async () => {
    const del = { 'request-method': 'delete', params: { 'resource/type': 'Patient' } }
    expect(await evaluatePolicy(crud, del)).toBe(false)
    const obs = { 'request-method': 'get', params: { 'resource/type': 'Observation' } }
    expect(await evaluatePolicy(crud, obs)).toBe(false)
  })

  it('checks body.subject against the user, guarded by present? (FhirCreate example)', async () => {
    const policy = compilePolicy({
      engine: 'matcho',
      matcho: {
        uri: '/fhir/Observation',
        'request-method': 'post',
        body: { subject: '.user.data.patient' },
        user: { data: { patient: 'present?' } },
      },
    })
    const subject = { id: 'pt-1', resourceType: 'Patient' }
    const base = { uri: '/fhir/Observation', 'request-method': 'post' }
    const own = { ...base, body: { subject }, user: { data: { patient: subject } } }
    expect(await evaluatePolicy(policy, own)).toBe(true)
    const other = { ...own, body: { subject: { ...subject, id: 'pt-2' } } }
    expect(await evaluatePolicy(policy, other)).toBe(false)
    // Without the guard, both sides missing would pass (Aidbox's trap,
    // docs/access-policies.md#the-aidbox-traps-reproduced); with it, anonymous is denied.
    expect(await evaluatePolicy(policy, base)).toBe(false)
  })
})

describe('engine json-schema (docs/aidbox.md#engines)', () => {
  const schema = {
    type: 'object',
    required: ['params'],
    properties: {
      params: {
        type: 'object',
        required: ['resource/type'],
        properties: { 'resource/type': { const: 'Organization' } },
      },
    },
  }

  it("allows a request object that validates (Aidbox's example, draft-07)", async () => {
    const policy = compilePolicy({ engine: 'json-schema', schema })
    const req = { params: { 'resource/type': 'Organization' } }
    expect(await evaluatePolicy(policy, req)).toBe(true)
  })

  it('denies a request object that does not validate', async () => {
    const policy = compilePolicy({ engine: 'json-schema', schema })
    expect(await evaluatePolicy(policy, { params: { 'resource/type': 'Patient' } })).toBe(false)
  })

  it('needs `required`, because empty values are pruned first (docs/aidbox.md#request-object)', () => {
    const compiled = compileJsonSchema(schema)
    const raw = { params: { 'resource/type': '' }, body: null }
    expect(evaluateJsonSchema(compiled, raw)).toBe(false)
    expect(pruneEmpty(raw)).toBeUndefined()
    const kept = pruneEmpty({ params: { 'resource/type': 'Organization' }, body: {} })
    expect(evaluateJsonSchema(compiled, kept)).toBe(true)
  })

  it('follows internal $refs to definitions', () => {
    const compiled = compileJsonSchema({
      definitions: { method: { enum: ['get', 'head'] } },
      properties: { 'request-method': { $ref: '#/definitions/method' } },
    })
    expect(evaluateJsonSchema(compiled, { 'request-method': 'head' })).toBe(true)
    expect(evaluateJsonSchema(compiled, { 'request-method': 'post' })).toBe(false)
  })

  it('rejects a schema that is not valid draft-07 at save time', () => {
    expect(schemaIssues({ type: 'strng' })[0]?.path).toBe('schema.type')
    expect(schemaIssues({ properties: { a: { minLength: -1 } } })[0]?.path).toBe(
      'schema.properties.a.minLength'
    )
    expect(schemaIssues({ pattern: '(' })[0]?.message).toMatch(/invalid JSON Schema/)
    expect(schemaIssues({ patternProperties: { '(': {} } })[0]?.message).toMatch(/JSON Schema/)
  })

  it('rejects an unresolvable $ref, another draft and a non-object schema', () => {
    const missing = schemaIssues({ $ref: '#/definitions/missing' })
    expect(missing[0]?.message).toMatch(/cannot be resolved/)
    expect(schemaIssues({ $ref: 'https://example.org/s.json' })[0]?.message).toMatch(/resolved/)
    const draft2020 = { $schema: 'https://json-schema.org/draft/2020-12/schema' }
    expect(schemaIssues(draft2020)[0]).toMatchObject({ path: 'schema.$schema' })
    expect(schemaIssues(true)[0]?.message).toMatch(/must be a JSON Schema object/)
    const draft7 = { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object' }
    expect(() => compileJsonSchema(draft7)).not.toThrow()
  })

  it('accepts a nested repetition in a pattern, which runs in linear time (docs/access-policies.md#limits)', () => {
    const compiled = compileJsonSchema({ properties: { uri: { pattern: '^(a+)+$' } } })
    expect(evaluateJsonSchema(compiled, { uri: 'aaaa' })).toBe(true)
    const start = performance.now()
    expect(evaluateJsonSchema(compiled, { uri: `${'a'.repeat(4000)}!` })).toBe(false)
    expect(performance.now() - start).toBeLessThan(50)
  })

  it('rejects a pattern with a backreference and a patternProperties key that repeats, naming them', () => {
    const issues = schemaIssues({
      properties: { uri: { pattern: '^(a)\\1$' } },
      patternProperties: { '(x|y)*': {}, '^x-(a|b)$': {} },
    })
    expect(issues.map((i) => i.path).sort()).toEqual([
      'schema.patternProperties',
      'schema.properties.uri.pattern',
    ])
    expect(issues.find((i) => i.path.endsWith('pattern'))?.message).toMatch(/backreferences/)
    expect(issues.find((i) => i.path.endsWith('Properties'))?.message).toMatch(/may not repeat/)
    // `enum` and `const` hold data, not patterns
    expect(() => compileJsonSchema({ properties: { pattern: { enum: ['(a)\\1'] } } })).not.toThrow()
  })

  it('applies a pattern and a format on the same subschema, and ignores a pattern beside $ref (draft-07)', () => {
    const both = compileJsonSchema({ properties: { id: { pattern: '^a', format: 'uuid' } } })
    expect(evaluateJsonSchema(both, { id: 'a1b2c3d4-0000-4000-8000-000000000000' })).toBe(true)
    expect(evaluateJsonSchema(both, { id: 'b1b2c3d4-0000-4000-8000-000000000000' })).toBe(false)
    expect(evaluateJsonSchema(both, { id: 'a-not-a-uuid' })).toBe(false)
    const beside = compileJsonSchema({
      definitions: { s: { type: 'string' } },
      properties: { id: { $ref: '#/definitions/s', pattern: '^a' } },
    })
    expect(evaluateJsonSchema(beside, { id: 'b' })).toBe(true)
  })

  it('throws (so denies) when a pattern meets a string over 4096 characters; other strings are not limited', () => {
    const withPattern = compileJsonSchema({ properties: { uri: { pattern: '^/fhir/' } } })
    const long = { uri: '/fhir/Patient', body: { text: 'a'.repeat(5000) } }
    expect(evaluateJsonSchema(withPattern, long)).toBe(true)
    expect(evaluateJsonSchema(withPattern, { uri: `/fhir/${'a'.repeat(4090)}` })).toBe(true)
    expect(() => evaluateJsonSchema(withPattern, { uri: `/fhir/${'a'.repeat(4091)}` })).toThrow(
      /limit 4096/
    )
  })

  it('does not modify the stored schema', () => {
    const stored = { properties: { a: { $ref: '#/definitions/x' } }, definitions: { x: {} } }
    const before = JSON.stringify(stored)
    compileJsonSchema(stored)
    expect(JSON.stringify(stored)).toBe(before)
    expect(Object.getOwnPropertyNames(stored.properties.a)).toEqual(['$ref'])
  })
})

describe('engine complex (docs/aidbox.md#engines)', () => {
  it('and: allows only when every rule allows', async () => {
    const and = (...rules: object[]) => compilePolicy({ engine: 'complex', and: rules })
    expect(await evaluatePolicy(and(yes, yes), request)).toBe(true)
    expect(await evaluatePolicy(and(yes, no), request)).toBe(false)
    expect(await evaluatePolicy(and(no, yes), request)).toBe(false)
  })

  it('or: allows when any rule allows', async () => {
    const or = (...rules: object[]) => compilePolicy({ engine: 'complex', or: rules })
    expect(await evaluatePolicy(or(no, yes), request)).toBe(true)
    expect(await evaluatePolicy(or(yes, no), request)).toBe(true)
    expect(await evaluatePolicy(or(no, no), request)).toBe(false)
  })

  it("nests: check-1 AND (check-2 OR check-3) (Aidbox's first example)", () => {
    const build = (a: object, b: object, c: object) =>
      compilePolicy({ engine: 'complex', and: [a, { engine: 'complex', or: [b, c] }] })
    expect(evaluatePolicySync(build(yes, no, yes), request)).toBe(true)
    expect(evaluatePolicySync(build(yes, no, no), request)).toBe(false)
    expect(evaluatePolicySync(build(no, yes, yes), request)).toBe(false)
  })

  it('short-circuits top to bottom: later rules are not evaluated', async () => {
    const sql = { engine: 'sql', sql: { query: 'SELECT 1' } }
    // Without ctx.db the sql rule would throw if it were reached.
    const and = compilePolicy({ engine: 'complex', and: [no, sql] })
    const or = compilePolicy({ engine: 'complex', or: [yes, sql] })
    expect(await evaluatePolicy(and, request)).toBe(false)
    expect(await evaluatePolicy(or, request)).toBe(true)
    const reached = compilePolicy({ engine: 'complex', and: [yes, sql] })
    await expect(evaluatePolicy(reached, request)).rejects.toThrow(/ctx\.db/)
  })

  it("mixes engines (json-schema + matcho, the shape of Aidbox's second example)", async () => {
    const policy = compilePolicy({
      engine: 'complex',
      and: [
        { engine: 'json-schema', schema: { required: ['user'] } },
        { engine: 'matcho', matcho: { uri: '#^/fhir/Patient' } },
      ],
    })
    expect(await evaluatePolicy(policy, { ...request, user: { id: 'u1' } })).toBe(true)
    expect(await evaluatePolicy(policy, request)).toBe(false)
  })

  it('is synchronous unless a sql rule occurs somewhere inside', () => {
    const sync = compilePolicy({ engine: 'complex', or: [yes, { engine: 'complex', and: [yes] }] })
    expect(sync.sync).toBe(true)
    const sql = { engine: 'sql', sql: { query: 'SELECT 1' } }
    const async = compilePolicy({ engine: 'complex', or: [yes, { engine: 'complex', and: [sql] }] })
    expect(async.sync).toBe(false)
    expect(() => evaluatePolicySync(async, request)).toThrow(/use evaluatePolicy/)
  })

  it('rejects "and" together with "or" at one level', () => {
    expect(issuesOf({ engine: 'complex', and: [yes], or: [yes] })).toEqual([
      { path: 'or', message: expect.stringMatching(/both "and" and "or"/) },
    ])
    const both = { engine: 'complex', and: [yes], or: [no] }
    const nested = issuesOf({ engine: 'complex', and: [both] })
    expect(nested[0]?.path).toBe('and[0].or')
  })

  it('rejects a complex rule without and/or, or with an empty or non-array list (our choice)', () => {
    expect(issuesOf({ engine: 'complex' })[0]?.message).toMatch(/needs "and" or "or"/)
    expect(issuesOf({ engine: 'complex', and: [] })[0]).toMatchObject({ path: 'and' })
    expect(issuesOf({ engine: 'complex', or: yes })[0]).toMatchObject({ path: 'or' })
    expect(issuesOf({ engine: 'complex', or: ['allow'] })[0]).toMatchObject({ path: 'or[0]' })
  })

  it('rejects complex rules nested deeper than 16 levels', () => {
    let policy: AccessPolicyInput = { engine: 'allow' }
    for (let i = 0; i < 17; i++) policy = { engine: 'complex', and: [policy] }
    expect(() => compilePolicy(policy)).toThrow(/nested deeper than 16/)
    let ok: AccessPolicyInput = { engine: 'allow' }
    for (let i = 0; i < 15; i++) ok = { engine: 'complex', and: [ok] }
    expect(() => compilePolicy(ok)).not.toThrow()
  })
})

describe('pruneEmpty: empty values are removed before evaluation (docs/aidbox.md#request-object)', () => {
  it('removes [], {}, "" and null recursively', () => {
    const raw = { a: [], b: {}, c: '', d: null, e: { f: { g: [] } }, h: 'x', i: undefined }
    expect(pruneEmpty(raw)).toEqual({ h: 'x' })
  })

  it('keeps 0, false and whitespace strings', () => {
    expect(pruneEmpty({ a: 0, b: false, c: ' ' })).toEqual({ a: 0, b: false, c: ' ' })
  })

  it('keeps array positions, turning empty elements into null (our choice)', () => {
    expect(pruneEmpty({ role: [{}, { name: 'r' }] })).toEqual({ role: [null, { name: 'r' }] })
    expect(pruneEmpty({ role: [{}, ''] })).toBeUndefined()
  })

  it('does not modify its input and keeps a JSON "__proto__" key as data', () => {
    const raw = JSON.parse('{"__proto__": {"x": 1}, "a": {"b": null}}') as object
    const pruned = pruneEmpty(raw) as Record<string, unknown>
    expect(Object.getPrototypeOf(pruned)).toBe(Object.prototype)
    expect(Object.prototype.hasOwnProperty.call(pruned, '__proto__')).toBe(true)
    expect(JSON.stringify(raw)).toBe('{"__proto__":{"x":1},"a":{"b":null}}')
  })
})

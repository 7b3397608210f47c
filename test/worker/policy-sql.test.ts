// The sql engine: save-time safety rules (one read-only SELECT) and evaluation against the real
// local D1 with `{{path}}` binds (docs/access-policies.md#the-sql-engine). Tests named
// "(our choice)" pin behaviour Aidbox leaves open (docs/aidbox.md#where-aidbox-is-silent).
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { PolicyValidationError } from '../../src/policy/engines/errors.ts'
import { compilePolicy, evaluatePolicy } from '../../src/policy/engines/index.ts'
import { compileSql, evaluateSql } from '../../src/policy/engines/sql.ts'

function rejection(query: string): string {
  try {
    compileSql(query)
  } catch (e) {
    expect(e).toBeInstanceOf(PolicyValidationError)
    const issues = (e as PolicyValidationError).issues
    expect(issues[0]?.path).toBe('sql.query')
    return issues[0]!.message
  }
  throw new Error(`expected ${JSON.stringify(query)} to be rejected`)
}

/** Patients sql-pt-1 (GP Practitioner/pr-1) and sql-pt-2 (pr-2) in the resource table. */
async function withPatients(): Promise<void> {
  const insert = env.DB.prepare(
    'INSERT OR REPLACE INTO resource (type, id, version, last_updated, body) ' +
      "VALUES ('Patient', ?1, 1, 0, json_object('generalPractitioner', json_array(json_object('reference', ?2))))"
  )
  await env.DB.batch([
    insert.bind('sql-pt-1', 'Practitioner/pr-1'),
    insert.bind('sql-pt-2', 'Practitioner/pr-2'),
  ])
}

async function run(query: string, request: Record<string, unknown> = {}): Promise<boolean> {
  return evaluateSql(env.DB, compileSql(query), request)
}

describe('sql: placeholders become numbered binds (docs/access-policies.md#the-sql-engine)', () => {
  it('turns {{path}} into ?N, reusing the number of a repeated path', () => {
    const compiled = compileSql('SELECT {{jwt.sub}} = {{user.id}} OR {{jwt.sub}} IS NULL')
    expect(compiled.sql).toBe('SELECT * FROM (\nSELECT ?1 = ?2 OR ?1 IS NULL\n) LIMIT 1')
    expect(compiled.binds.map((b) => b.text)).toEqual(['jwt.sub', 'user.id'])
  })

  it('leaves {{…}} inside a string literal alone and drops comments', () => {
    const compiled = compileSql("SELECT '{{jwt.sub}}' -- note\n /* more */ ;")
    expect(compiled.sql).toBe("SELECT * FROM (\nSELECT '{{jwt.sub}}'\n) LIMIT 1")
    expect(compiled.binds).toEqual([])
  })

  it('rejects {{!identifier}} interpolation and malformed placeholders (our choice)', () => {
    const identifier = 'SELECT true FROM {{!params.resource/type}}'
    expect(rejection(identifier)).toMatch(/identifier interpolation/)
    expect(rejection('SELECT {{a..b}}')).toMatch(/invalid placeholder/)
    expect(rejection('SELECT {{jwt.sub}')).toMatch(/unterminated \{\{placeholder/)
    expect(rejection('SELECT {1}')).toMatch(/unexpected "\{"/)
  })
})

describe('sql: only one read-only SELECT is accepted at save time (docs/access-policies.md#the-sql-engine)', () => {
  it('accepts SELECT, a trailing semicolon, WITH … SELECT and replace() calls', () => {
    const select = 'SELECT true FROM resource WHERE id = {{params.resource/id}} LIMIT 1;'
    expect(() => compileSql(select)).not.toThrow()
    expect(() => compileSql('WITH t(x) AS (SELECT 1) SELECT x FROM t')).not.toThrow()
    const ctes = 'WITH RECURSIVE a AS (SELECT 1), "b" AS MATERIALIZED (SELECT 2) SELECT * FROM a, b'
    expect(() => compileSql(ctes)).not.toThrow()
    expect(() => compileSql("SELECT replace({{uri}}, '/fhir', '') = '/Patient'")).not.toThrow()
    expect(() => compileSql('SELECT \';\' AS "x;y", [a;b] FROM resource')).not.toThrow()
  })

  it('rejects a second statement', () => {
    expect(rejection('SELECT 1; SELECT 2')).toMatch(/only one statement/)
    expect(rejection('SELECT 1; DROP TABLE resource')).toMatch(/DROP|only one statement/)
  })

  it('rejects a second statement hidden behind comments or quotes', () => {
    expect(rejection('SELECT 1 /* ; */ ; DELETE FROM resource')).toMatch(/DELETE|only one/)
    expect(rejection('SELECT 1 -- x\n; SELECT 2')).toMatch(/only one statement/)
    expect(rejection("SELECT 'it''s'; SELECT 2")).toMatch(/only one statement/)
    expect(rejection('SELECT "a""b"; SELECT 2')).toMatch(/only one statement/)
  })

  it.each([
    ['INSERT', "INSERT INTO resource (type) VALUES ('x')"],
    ['UPDATE', "UPDATE resource SET body = '{}'"],
    ['DELETE', 'DELETE FROM resource'],
    ['REPLACE INTO', "REPLACE INTO resource (type) VALUES ('x')"],
    ['CREATE', 'CREATE TABLE x (a)'],
    ['DROP', 'DROP TABLE resource'],
    ['ALTER', 'ALTER TABLE resource ADD COLUMN x'],
    ['PRAGMA', 'PRAGMA table_info(resource)'],
    ['ATTACH', "ATTACH DATABASE 'x.db' AS x"],
    ['DETACH', 'DETACH DATABASE x'],
    ['VACUUM', 'VACUUM'],
    ['BEGIN', 'BEGIN TRANSACTION'],
  ])('rejects %s', (_name, query) => {
    expect(rejection(query)).toMatch(/is not allowed|only a single SELECT/)
  })

  it('rejects a write hidden behind WITH (WITH … DELETE / INSERT)', () => {
    expect(rejection('WITH x AS (SELECT 1) DELETE FROM resource')).toMatch(/DELETE is not allowed/)
    expect(rejection('WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x')).toMatch(/not allowed/)
    expect(rejection('WITH x AS (SELECT 1) VALUES (1)')).toMatch(/must be followed by a SELECT/)
    expect(rejection('WITH x (SELECT 1) SELECT 1')).toMatch(/malformed WITH clause/)
  })

  it('rejects statements that do not start with SELECT or WITH', () => {
    expect(rejection('EXPLAIN SELECT 1')).toMatch(/only a single SELECT/)
    expect(rejection('VALUES (1)')).toMatch(/only a single SELECT/)
    expect(rejection('(SELECT 1)')).toMatch(/only a single SELECT/)
    expect(rejection(';')).toMatch(/no statement/)
    expect(rejection('   ')).toMatch(/non-empty/)
  })

  it('rejects pragma table functions and D1/SQLite internals', () => {
    expect(rejection("SELECT * FROM pragma_table_info('resource')")).toMatch(/pragma_table_info/)
    expect(rejection('SELECT * FROM _cf_KV')).toMatch(/_cf_KV/)
    expect(rejection('SELECT name FROM sqlite_master')).toMatch(/sqlite_master/)
    expect(rejection('SELECT name FROM "sqlite_master"')).toMatch(/sqlite_master/)
  })

  it('rejects the internal tables (search indexes ix_*, d1_migrations), quoted or not [docs/access-policies.md]', () => {
    expect(rejection('SELECT 1 FROM ix_token WHERE code = {{params.code}}')).toMatch(
      /ix_token is internal/
    )
    expect(rejection('SELECT 1 FROM resource r JOIN "IX_REF" x ON x.pk = r.pk')).toMatch(/"IX_REF"/)
    expect(rejection('SELECT count(*) FROM [d1_migrations]')).toMatch(/d1_migrations/)
    expect(rejection('SELECT 1 FROM `ix_string`')).toMatch(/ix_string/)
  })

  it('accepts the documented tables resource and resource_history with JSON functions', () => {
    expect(() =>
      compileSql(
        "SELECT 1 FROM resource WHERE type = 'Patient' AND id = {{params.resource/id}} AND deleted = 0 " +
          "AND json_extract(body, '$.generalPractitioner[0].reference') = {{user.data.practitioner}}"
      )
    ).not.toThrow()
    expect(() =>
      compileSql('SELECT max(version) > 1 FROM resource_history WHERE id = {{params.resource/id}}')
    ).not.toThrow()
  })

  it('rejects hand-written bind parameters (?, ?1, :name, @name, $name)', () => {
    for (const q of ['SELECT ?', 'SELECT ?1', 'SELECT :a', 'SELECT @a', 'SELECT $a']) {
      expect(rejection(q)).toMatch(/bind parameter/)
    }
  })

  it('rejects unterminated literals, identifiers and comments', () => {
    expect(rejection("SELECT 'abc")).toMatch(/unterminated string literal/)
    expect(rejection('SELECT "abc')).toMatch(/unterminated quoted identifier/)
    expect(rejection('SELECT [abc')).toMatch(/unterminated \[identifier/)
    expect(rejection('SELECT 1 /* ; DELETE FROM resource')).toMatch(/unterminated \/\* comment/)
  })

  it('rejects unbalanced parentheses and stray characters', () => {
    expect(rejection('SELECT 1) UNION SELECT (2')).toMatch(/unbalanced/)
    expect(rejection('SELECT (1')).toMatch(/unbalanced/)
    expect(rejection('SELECT 1\0')).toMatch(/NUL/)
  })
})

describe('sql: evaluation against D1 (docs/access-policies.md#the-sql-engine)', () => {
  const ownPatient = `SELECT true FROM resource
    WHERE type = 'Patient' AND id = {{params.resource/id}} AND deleted = 0
      AND json_extract(body, '$.generalPractitioner[0].reference')
        = 'Practitioner/' || {{user.data.practitioner_id}}`

  it('allows when the query returns a truthy first column', async () => {
    await withPatients()
    const user = { data: { practitioner_id: 'pr-1' } }
    const request = { params: { 'resource/id': 'sql-pt-1' }, user }
    expect(await run(ownPatient, request)).toBe(true)
  })

  it('denies when the query returns no row', async () => {
    await withPatients()
    const user = { data: { practitioner_id: 'pr-1' } }
    const request = { params: { 'resource/id': 'sql-pt-2' }, user }
    expect(await run(ownPatient, request)).toBe(false)
  })

  it('binds values, so a quote in the request cannot change the query', async () => {
    await withPatients()
    const request = {
      params: { 'resource/id': "x' OR '1'='1" },
      user: { data: { practitioner_id: "x' OR '1'='1" } },
    }
    expect(await run(ownPatient, request)).toBe(false)
  })

  it('binds NULL for a missing value', async () => {
    expect(await run('SELECT {{jwt.sub}} IS NULL')).toBe(true)
    expect(await run('SELECT {{jwt.sub}} IS NULL', { jwt: { sub: 'u1' } })).toBe(false)
  })

  it('binds objects as JSON text and booleans as 1/0', async () => {
    const query = "SELECT json_extract({{user}}, '$.id') = 'u1' AND {{jwt.admin}} = 1"
    expect(await run(query, { user: { id: 'u1' }, jwt: { admin: true } })).toBe(true)
    expect(await run(query, { user: { id: 'u1' }, jwt: { admin: false } })).toBe(false)
    expect(await run(query, { user: { id: 'u2' }, jwt: { admin: true } })).toBe(false)
  })

  it('reads only the first column of the first row', async () => {
    expect(await run('SELECT 1, 0')).toBe(true)
    expect(await run('SELECT 0, 1')).toBe(false)
    expect(await run('SELECT x FROM (SELECT 1 AS x UNION ALL SELECT 0) ORDER BY x DESC')).toBe(true)
    expect(await run('SELECT x FROM (SELECT 1 AS x UNION ALL SELECT 0) ORDER BY x ASC')).toBe(false)
  })

  it('treats 0, false, NULL, "" and "false" as deny, other values as allow (our choice)', async () => {
    for (const q of ['SELECT false', 'SELECT 0', 'SELECT NULL', "SELECT ''", "SELECT 'false'"]) {
      expect(await run(q), q).toBe(false)
    }
    for (const q of ['SELECT true', 'SELECT 2', 'SELECT 0.5', "SELECT 'yes'", "SELECT x'01'"]) {
      expect(await run(q), q).toBe(true)
    }
  })

  it('runs WITH … SELECT queries', async () => {
    const query = 'WITH t(x) AS (SELECT {{user.id}}) SELECT x = {{jwt.sub}} FROM t'
    expect(await run(query, { user: { id: 'u1' }, jwt: { sub: 'u1' } })).toBe(true)
    expect(await run(query, { user: { id: 'u1' }, jwt: { sub: 'u2' } })).toBe(false)
  })

  it('lets a D1 error propagate, so the caller denies', async () => {
    await expect(run('SELECT no_such_column FROM resource')).rejects.toThrow(/no such column/)
  })

  it('runs through evaluatePolicy with ctx.db, also inside complex', async () => {
    await withPatients()
    const sql = { engine: 'sql', sql: { query: ownPatient } }
    const policy = compilePolicy({
      engine: 'complex',
      and: [{ engine: 'matcho', matcho: { user: { data: { practitioner_id: 'present?' } } } }, sql],
    })
    const user = { data: { practitioner_id: 'pr-1' } }
    const ctx = { db: env.DB }
    const own = { params: { 'resource/id': 'sql-pt-1' }, user }
    const other = { params: { 'resource/id': 'sql-pt-2' }, user }
    expect(await evaluatePolicy(policy, own, ctx)).toBe(true)
    expect(await evaluatePolicy(policy, other, ctx)).toBe(false)
    await expect(evaluatePolicy(compilePolicy(sql), { user })).rejects.toThrow(/ctx\.db/)
  })
})

// The sql engine reads only the readable tables (issue 10; docs/access-policies.md#the-sql-engine):
// an allowlist checked on every table position, for every way SQLite lets a name be written
// (bare, "double", 'single', [bracket], `backtick`, any case, `main.`), with CTE scoping and no
// recursive CTEs. Rejected queries are checked to be ones D1 would run, so each is a real escape.
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { PolicyValidationError } from '../../src/policy/engines/errors.ts'
import { compileSql } from '../../src/policy/engines/sql.ts'

function rejection(query: string): string | undefined {
  try {
    compileSql(query)
  } catch (e) {
    expect(e).toBeInstanceOf(PolicyValidationError)
    return (e as PolicyValidationError).issues[0]?.message
  }
  return undefined
}

/** Every identifier form SQLite reads as the name `name` in a table position. */
function spellings(name: string): string[] {
  const upper = name.toUpperCase()
  return [
    name,
    upper,
    `"${name}"`,
    `'${name}'`,
    `[${name}]`,
    `\`${upper}\``,
    `main.${name}`,
    `"main".'${name}'`,
    `MAIN.[${upper}]`,
  ]
}

const INTERNAL = [
  'ix_token',
  'sqlite_master',
  'sqlite_schema',
  'd1_migrations',
  'pragma_table_list',
]

describe('sql: only resource, resource_history, json_each and json_tree may be read', () => {
  it.each(INTERNAL.flatMap(spellings))('rejects FROM %s', async (name) => {
    const query = `SELECT count(*) FROM ${name}`
    expect(rejection(query)).toMatch(/not readable|not allowed|internal/)
    // SQLite reads every spelling as a name; D1 answers with anything but a syntax error.
    const error = await env.DB.prepare(query)
      .raw()
      .then(
        () => '',
        (e: Error) => e.message
      )
    expect(error).not.toMatch(/syntax error/)
  })

  it.each([
    ["FROM resource JOIN 'ix_token'", 'a JOIN'],
    ["FROM resource r, 'ix_token' t", 'a comma in FROM'],
    ['FROM resource NATURAL LEFT OUTER JOIN [ix_ref]', 'a NATURAL LEFT OUTER JOIN'],
    ["FROM (SELECT * FROM 'ix_token')", 'a subquery in FROM'],
    ["FROM (('ix_token'))", 'a parenthesised table'],
    ["FROM resource WHERE id IN 'ix_token'", 'IN table'],
    ['FROM resource WHERE id NOT IN "main"."ix_token"', 'NOT IN schema.table'],
    ['FROM resource WHERE EXISTS (SELECT 1 FROM `ix_token`)', 'EXISTS (subquery)'],
    ["FROM 'pragma_table_info'('resource')", 'a quoted table-valued pragma'],
    ["FROM pragma_table_info('resource')", 'a table-valued pragma'],
    ['FROM resource WHERE type IN pragma_table_list()', 'IN a table-valued pragma'],
    ["FROM '_cf_KV'", 'a D1 internal'],
    ['FROM temp.resource', 'another schema'],
    ['FROM generate_series(1, 10)', 'another table-valued function'],
    ['FROM dbstat', 'a virtual table'],
    ['FROM patient', 'a table that does not exist (Aidbox has one per type)'],
  ])('rejects %s (%s)', (tail) => {
    expect(rejection(`SELECT 1 ${tail}`)).toMatch(/not readable|not allowed|internal|schema/)
  })

  it('rejects a name outside the scope of the CTE that declares it', () => {
    const query = 'SELECT (WITH "x" AS (SELECT 1) SELECT 1), (SELECT count(*) FROM x)'
    expect(rejection(query)).toMatch(/x is not readable/)
  })

  it('rejects a CTE that reads itself, with or without RECURSIVE (it can run without end)', () => {
    for (const query of [
      'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c',
      'WITH "c"(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM C) SELECT count(*) FROM c',
    ]) {
      expect(rejection(query), query).toMatch(/reads itself: recursive queries are not allowed/)
    }
  })

  it.each([
    'SELECT 1 FROM resource',
    'SELECT 1 FROM "resource"',
    "SELECT 1 FROM 'Resource'",
    'SELECT 1 FROM [RESOURCE]',
    'SELECT 1 FROM `resource_history`',
    "SELECT 1 FROM main.resource AS 'r' WHERE r.id = {{params.resource/id}}",
    'SELECT 1 FROM resource r JOIN resource_history h ON h.pk = r.pk AND h.version IN (1, 2), resource s',
    "SELECT count(*) FROM resource, json_each(resource.body, '$.name') j WHERE j.value IS NOT NULL",
    "SELECT 1 FROM json_tree({{body}}) WHERE key = 'id'",
    'WITH t AS (SELECT id FROM resource) SELECT count(*) FROM t, (SELECT 1 FROM t)',
    'WITH t AS (SELECT 1), u AS (SELECT * FROM t) SELECT * FROM u',
    'SELECT 1 FROM resource WHERE type IN (SELECT value FROM json_each(\'["Patient"]\'))',
    'SELECT 1 FROM resource WHERE id IN (SELECT id FROM resource_history)',
    'SELECT {{jwt.sub}} IS NOT DISTINCT FROM {{user.id}}',
    'SELECT 1 FROM resource ORDER BY type, id LIMIT 1, 2',
  ])('accepts and runs %s', async (query) => {
    expect(rejection(query)).toBeUndefined()
    const { sql } = compileSql(query)
    const binds = (sql.match(/\?\d+/g) ?? []).map(() => null)
    await env.DB.prepare(sql)
      .bind(...binds)
      .raw()
  })
})

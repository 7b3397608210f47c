// Helpers shared by the REST tests (rest-*.test.ts): resources, what D1 holds for a resource,
// clients whose AccessPolicy allows only some operations, and transaction Bundles to POST.

import { env } from 'cloudflare:test'
import { expect } from 'vitest'
import { basic, call, registerClient, ROOT, uniqueId } from './helpers.ts'

export function patient(id?: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    resourceType: 'Patient',
    ...(id ? { id } : {}),
    name: [{ family: 'Chalmers', given: ['Peter', 'James'] }],
    gender: 'male',
    birthDate: '1974-12-25',
    ...extra,
  }
}

/** PUTs Patient `id` as the client `auth`, expecting it to be created or updated. */
export async function putPatient(
  auth: string,
  id: string,
  extra: Record<string, unknown> = {}
): Promise<Response> {
  const res = await call('PUT', `/fhir/Patient/${id}`, { auth, body: patient(id, extra) })
  expect([200, 201], await res.clone().text()).toContain(res.status)
  return res
}

/** An identifier in a system private to one test, so searches see only that test's resources. */
export function privateIdentifier(): { system: string; value: string } {
  return { system: `http://example.org/ids/${crypto.randomUUID()}`, value: 'v1' }
}

/** Every version D1 holds for `type/id`: version, method and whether it has a body. */
export async function versions(
  type: string,
  id: string
): Promise<{ version: number; method: string; body: boolean }[]> {
  const { results } = await env.DB.prepare(
    'SELECT version, method, body IS NOT NULL AS body FROM resource_history WHERE type = ?1 AND id = ?2 ORDER BY version'
  )
    .bind(type, id)
    .all<{ version: number; method: string; body: number }>()
  return results.map((r) => ({ version: r.version, method: r.method, body: r.body === 1 }))
}

/** The current row of `type/id` (null when there is none). */
export async function currentRow(
  type: string,
  id: string
): Promise<{ pk: number; version: number; deleted: number } | null> {
  return env.DB.prepare('SELECT pk, version, deleted FROM resource WHERE type = ?1 AND id = ?2')
    .bind(type, id)
    .first()
}

/** Index rows of every kind held for resource row `pk`. */
export async function indexRowCount(pk: number): Promise<number> {
  const tables = [
    'ix_token',
    'ix_token_text',
    'ix_string',
    'ix_date',
    'ix_number',
    'ix_quantity',
    'ix_ref',
    'ix_uri',
  ]
  let total = 0
  for (const table of tables) {
    const row = await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE pk = ?1`)
      .bind(pk)
      .first<{ n: number }>()
    total += row!.n
  }
  return total
}

/** Rows any table holds whose JSON body or index values mention `marker`. */
export async function rowsMentioning(marker: string): Promise<number> {
  const like = `%${marker}%`
  const a = await env.DB.prepare('SELECT count(*) AS n FROM resource WHERE body LIKE ?1')
    .bind(like)
    .first<{ n: number }>()
  const b = await env.DB.prepare('SELECT count(*) AS n FROM resource_history WHERE body LIKE ?1')
    .bind(like)
    .first<{ n: number }>()
  const c = await env.DB.prepare(
    'SELECT count(*) AS n FROM ix_token WHERE system LIKE ?1 OR code LIKE ?1'
  )
    .bind(like)
    .first<{ n: number }>()
  return a!.n + b!.n + c!.n
}

/** A client whose only AccessPolicy (matcho) allows exactly `operations`. */
export async function clientAllowing(operations: string[]): Promise<string> {
  const id = uniqueId('limited')
  const secret = `s3cret-${crypto.randomUUID()}`
  await registerClient(id, secret)
  const res = await call('PUT', `/AccessPolicy/${id}-ops`, {
    auth: ROOT,
    body: {
      engine: 'matcho',
      matcho: { operation: { id: { $enum: operations } } },
      link: [{ resourceType: 'Client', id }],
    },
  })
  if (res.status !== 201) throw new Error(`policy: ${res.status} ${await res.text()}`)
  return basic(id, secret)
}

/** POSTs a transaction Bundle of `entry` to [base] as the client `auth`. */
export function postTransaction(
  auth: string,
  entry: unknown[],
  headers: Record<string, string> = {}
): Promise<Response> {
  return call('POST', '/fhir', {
    auth,
    body: { resourceType: 'Bundle', type: 'transaction', entry },
    headers,
  })
}

/** A JSON Patch wrapped in a Binary, as a PATCH entry of a Bundle carries it. */
export function patchBinary(operations: unknown[]): Record<string, unknown> {
  const bytes = new TextEncoder().encode(JSON.stringify(operations))
  return {
    resourceType: 'Binary',
    contentType: 'application/json-patch+json',
    data: btoa(String.fromCharCode(...bytes)),
  }
}

// Helpers shared by the policy tests (policy-*.test.ts): Matcho patterns compiled and matched, and
// AccessPolicies, linked clients and resources written through the API as root.

import { expect } from 'vitest'
import { PolicyValidationError } from '../../src/policy/engines/errors.ts'
import { compileMatcho, matches } from '../../src/policy/engines/matcho.ts'
import { basic, call, registerClient, ROOT, uniqueId } from './helpers.ts'

/** Compiles `pattern` and matches it against `request` (which is also the reference context). */
export function m(pattern: unknown, request: unknown, context?: unknown): boolean {
  return matches(compileMatcho(pattern), request, context ?? request)
}

/** Asserts that compiling fails with an issue at `path` whose message matches `message`. */
export function expectInvalid(pattern: unknown, path: string, message: RegExp): void {
  let error: unknown
  try {
    compileMatcho(pattern)
  } catch (e) {
    error = e
  }
  expect(error).toBeInstanceOf(PolicyValidationError)
  const issues = (error as PolicyValidationError).issues
  expect(issues).toContainEqual({ path, message: expect.stringMatching(message) })
}

/** Saves AccessPolicy `id` through the admin API (as root), expecting it to be created. */
export async function savePolicy(id: string, body: Record<string, unknown>): Promise<void> {
  const res = await call('PUT', `/AccessPolicy/${id}`, { auth: ROOT, body })
  if (res.status !== 201) throw new Error(`savePolicy: ${res.status} ${await res.text()}`)
}

/** A registered client linked to `policy` (saved as `<id>-policy`); returns its Authorization. */
export async function clientWith(
  policy: Record<string, unknown>,
  prefix = 'pclient'
): Promise<{ id: string; auth: string }> {
  const id = uniqueId(prefix)
  const secret = `pw-${crypto.randomUUID()}`
  await registerClient(id, secret)
  await savePolicy(`${id}-policy`, { ...policy, link: [{ reference: `Client/${id}` }] })
  return { id, auth: basic(id, secret) }
}

/** PUTs `type/id` with `body` as root, expecting it to be created or updated. */
export async function putAsRoot(
  type: string,
  id: string,
  body: Record<string, unknown> = {}
): Promise<void> {
  const res = await call('PUT', `/fhir/${type}/${id}`, {
    auth: ROOT,
    body: { resourceType: type, id, ...body },
  })
  expect([200, 201]).toContain(res.status)
}

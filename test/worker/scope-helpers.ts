// Helpers of the SMART scope tests (scopes-*.test.ts): a Client allowed everything by an AccessPolicy
// and access tokens with chosen scopes, the 403 insufficient_scope expectation (RFC 6750 §3.1), and
// resources written as root under a private tag, so a search sees only its own test's data.

import { expect } from 'vitest'
import { allowClient, bearerFor, call, registerClient, ROOT, uniqueId } from './helpers.ts'

/** A client_credentials Client with an `allow` AccessPolicy (unless `policy` is false). */
export async function tokenClient(prefix = 'scoped', policy = true): Promise<string> {
  const id = uniqueId(prefix)
  await registerClient(id, `s3cret-${crypto.randomUUID()}`, {
    grant_types: ['client_credentials'],
    scope: ['system/*.cruds'],
  })
  if (policy) await allowClient(id)
  return id
}

/** `Authorization: Bearer …` for a token with `scope` (a fresh allowed Client unless one is given). */
export async function tokenWith(
  scope: string,
  options: { clientId?: string; format?: 'jwt' | 'opaque' } = {}
): Promise<string> {
  const id = options.clientId ?? (await tokenClient())
  return (await bearerFor(id, scope, options.format ?? 'jwt')).auth
}

/**
 * A 403 refusal by scope: OperationOutcome `forbidden` whose diagnostics start "Insufficient scope",
 * and the RFC 6750 §3.1 challenge naming `scope` (no scope attribute when `scope` is null).
 */
export async function expectInsufficientScope(res: Response, scope?: string | null): Promise<void> {
  const text = await res.text()
  expect(res.status, text).toBe(403)
  const challenge = res.headers.get('www-authenticate') ?? ''
  expect(challenge).toMatch(/^Bearer realm="edge-fhir", error="insufficient_scope"/)
  if (scope === null) expect(challenge).not.toContain('scope="')
  else if (scope !== undefined) expect(challenge).toContain(`scope="${scope}"`)
  const outcome = JSON.parse(text) as { resourceType: string; issue: Record<string, string>[] }
  expect(outcome.resourceType).toBe('OperationOutcome')
  expect(outcome.issue[0]!.code).toBe('forbidden')
  expect(outcome.issue[0]!.diagnostics).toMatch(/Insufficient scope/)
}

/** A refusal by AccessPolicy: 403 without a Bearer challenge. */
export async function expectPolicyRefusal(res: Response): Promise<void> {
  const text = await res.text()
  expect(res.status, text).toBe(403)
  expect(res.headers.get('www-authenticate')).toBeNull()
  expect(text).toMatch(/no AccessPolicy allows/)
}

export type Resource = Record<string, unknown> & { resourceType: string; id: string }

/** A private tag: resources `put` carry it, and `q` adds it to a query. */
export function privateTag(prefix: string) {
  const system = `urn:test:${prefix}:${crypto.randomUUID()}`
  const tag = `${system}|t`
  return {
    tag,
    /** `_tag=<tag>` to append to a query. */
    param: `_tag=${encodeURIComponent(tag)}`,
    /** Writes the resources as root (PUT by id), each with the tag. */
    async put(...resources: Resource[]): Promise<void> {
      for (const r of resources) {
        const meta = {
          ...((r.meta as Record<string, unknown>) ?? {}),
          tag: [{ system, code: 't' }],
        }
        const res = await call('PUT', `/fhir/${r.resourceType}/${r.id}`, {
          auth: ROOT,
          body: { ...r, meta },
        })
        if (res.status !== 200 && res.status !== 201)
          throw new Error(`PUT ${r.resourceType}/${r.id}: ${res.status} ${await res.text()}`)
      }
    },
  }
}

/** The `Type/id` of a searchset's entries with `search.mode` `mode`, sorted. */
export function entriesOf(bundle: Record<string, any>, mode = 'match'): string[] {
  return ((bundle.entry ?? []) as Record<string, any>[])
    .filter((e) => e.search?.mode === mode)
    .map((e) => `${e.resource.resourceType}/${e.resource.id}`)
    .sort()
}

/** GET as `auth`; asserts 200 and returns the body. */
export async function getOk(path: string, auth: string): Promise<Record<string, any>> {
  const res = await call('GET', path, { auth })
  const text = await res.text()
  expect(res.status, `${path}: ${text}`).toBe(200)
  return JSON.parse(text) as Record<string, any>
}

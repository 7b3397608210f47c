// Which policies are evaluated for a request: candidate selection from the index (global, Client-,
// User- and Operation-linked policies, in engine order), and the per-isolate policy list they are
// selected from.

import { env } from 'cloudflare:test'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Principal } from '../../src/config/principal.ts'
import { clearAuthCache, listPolicies, type StoredPolicy } from '../../src/config/store.ts'
import { linkTargets } from '../../src/policy/authorize.ts'
import { selectCandidates } from '../../src/policy/candidates.ts'
import { testLog, uniqueId } from './helpers.ts'

function policy(id: string, fields: Record<string, unknown>): StoredPolicy {
  return { resourceType: 'AccessPolicy', id, ...fields } as StoredPolicy
}

afterEach(() => {
  vi.restoreAllMocks()
})

const ids = (list: readonly { id: string }[]) => list.map((c) => c.id)
const matchAll = { engine: 'matcho', matcho: { uri: 'present?' } }

describe('candidate selection (docs/aidbox.md#candidates)', () => {
  const policies = [
    policy('g-matcho', matchAll),
    policy('g-allow', { engine: 'allow' }),
    policy('c-a', { ...matchAll, link: [{ reference: 'Client/a' }] }),
    policy('c-b', { engine: 'allow', link: [{ resourceType: 'Client', id: 'b' }] }),
    policy('op-read', { ...matchAll, link: [{ reference: 'Operation/FhirRead' }] }),
    policy('multi', {
      ...matchAll,
      link: [{ reference: 'Client/a' }, { reference: 'Operation/FhirRead' }],
    }),
    policy('sql', { engine: 'sql', sql: { query: 'SELECT 1' }, link: [{ reference: 'Client/a' }] }),
    policy('user-u', { ...matchAll, link: [{ reference: 'User/u' }] }),
    policy('role', { engine: 'allow', roleName: 'admin' }),
    policy('broken-link', { engine: 'allow', link: { reference: 'Client/a' } }),
    policy('bad-links-only', { engine: 'allow', link: [{ reference: 'Patient/p' }] }),
    policy('uncompilable', { engine: 'matcho', matcho: { uri: '#(' } }),
  ]
  const client = (id: string): Principal => ({
    kind: 'client',
    id,
    client: { resourceType: 'Client', id },
  })
  const select = (principal: Principal, operation: string) =>
    ids(selectCandidates(policies, linkTargets(principal, operation), testLog))

  it('gives a client the global policies, its own, and those of the operation, allow first then sync then sql', () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {})
    expect(select(client('a'), 'FhirRead')).toEqual([
      'g-allow',
      'c-a',
      'g-matcho',
      'multi',
      'op-read',
      'sql',
    ])
  })

  it('gives an anonymous caller only global and Operation-linked policies', () => {
    expect(select({ kind: 'anonymous' }, 'FhirRead')).toEqual([
      'g-allow',
      'g-matcho',
      'multi',
      'op-read',
    ])
    expect(select({ kind: 'anonymous' }, 'FhirSearch')).toEqual(['g-allow', 'g-matcho'])
  })

  it('ORs several links: a policy linked to Client/a and Operation/FhirRead applies to anyone reading (Aidbox trap)', () => {
    expect(select(client('z'), 'FhirRead')).toContain('multi')
    expect(select(client('a'), 'FhirSearch')).toContain('multi')
    expect(select(client('z'), 'FhirSearch')).not.toContain('multi')
  })

  it('does not give one client the policies of another', () => {
    expect(select(client('b'), 'FhirSearch')).toEqual(['c-b', 'g-allow', 'g-matcho'])
  })

  it('includes User-linked policies only for a principal that carries that user', () => {
    expect(select(client('a'), 'FhirSearch')).not.toContain('user-u')
    const withUser = { ...client('a'), user: { id: 'u' } } as unknown as Principal
    expect(select(withUser, 'FhirSearch')).toContain('user-u')
  })

  it('never applies a policy with roleName (no caller holds roles yet), a non-array link, only invalid links, or one that does not compile', () => {
    for (const principal of [client('a'), { kind: 'anonymous' } as Principal]) {
      for (const op of ['FhirRead', 'FhirSearch']) {
        const selected = select(principal, op)
        for (const id of ['role', 'broken-link', 'bad-links-only', 'uncompilable'])
          expect(selected).not.toContain(id)
      }
    }
  })

  it('reuses the index and compiled policies for one list, and recompiles only replaced objects', () => {
    const first = selectCandidates(policies, ['Client/a'], testLog)
    const again = selectCandidates(policies, ['Client/a'], testLog)
    expect(again[0]).toBe(first[0])
    const replaced = [
      ...policies.slice(0, 2),
      policy('c-a', { engine: 'allow', link: [{ reference: 'Client/a' }] }),
      ...policies.slice(3),
    ]
    const after = selectCandidates(replaced, ['Client/a'], testLog)
    const ga = (list: typeof first) => list.find((c) => c.id === 'g-matcho')!.compiled
    expect(ga(after)).toBe(ga(first))
    expect(after.find((c) => c.id === 'c-a')!.compiled.engine).toBe('allow')
  })
})

describe('the per-isolate policy list (src/config/store.ts)', () => {
  // TTL 0: every call reloads from KV, as an isolate does once its 60 s are over.
  const reloading = { ...env, AUTH_CACHE_TTL_SECONDS: '0' } as Env

  it('reads more than 100 policies (bulk reads of 100 keys) and keeps unchanged ones as the same objects', async () => {
    const owner = uniqueId('bulk-owner')
    const names = Array.from({ length: 130 }, (_, i) => `${owner}-${String(i).padStart(3, '0')}`)
    await Promise.all(
      names.map((id) =>
        env.AUTH.put(
          `AccessPolicy/${id}`,
          JSON.stringify({ id, engine: 'allow', link: [{ reference: `Client/${owner}` }] })
        )
      )
    )
    try {
      clearAuthCache() // drop the list cached (for 60 s) by earlier tests
      const first = await listPolicies(reloading, testLog)
      const mine = first.filter((p) => p.id.startsWith(owner))
      expect(mine.map((p) => p.id)).toEqual(names)
      const second = await listPolicies(reloading, testLog)
      expect(second).not.toBe(first)
      expect(second.find((p) => p.id === names[0])).toBe(mine[0])
      // a changed KV text gives a new object (so it is compiled again)
      await env.AUTH.put(
        `AccessPolicy/${names[0]}`,
        JSON.stringify({ id: names[0], engine: 'allow', description: 'changed' })
      )
      const third = await listPolicies(reloading, testLog)
      const changed = third.find((p) => p.id === names[0])!
      expect(changed).not.toBe(mine[0])
      expect(changed.description).toBe('changed')
      expect(third.find((p) => p.id === names[1])).toBe(mine[1])
    } finally {
      await Promise.all(names.map((id) => env.AUTH.delete(`AccessPolicy/${id}`)))
      await listPolicies(reloading, testLog)
    }
  })
})

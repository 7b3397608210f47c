// KV access for Clients, Users and AccessPolicies (binding AUTH, keys `Client/<id>`, `User/<id>` and
// `AccessPolicy/<id>`, plus the User email index `UserEmail/<lower-cased email>` -> User id), behind a
// per-isolate cache. Entries live at most AUTH_CACHE_TTL_SECONDS (clamped to 0..60 s, KV's own
// propagation delay), so a warm isolate answers without any KV read. Writes through this module update
// the cache at once, so a change made through the admin API takes effect immediately in that isolate.
// The policy list costs one KV list per 1000 policies and one bulk read per 100, once per TTL.

import type { Log } from '../lib/log.ts'

const CLIENT_PREFIX = 'Client/'
const USER_PREFIX = 'User/'
const USER_EMAIL_PREFIX = 'UserEmail/'
const POLICY_PREFIX = 'AccessPolicy/'
const MAX_CLIENT_ENTRIES = 10_000
/** The longest User email, in UTF-8 bytes (RFC 5321); it keeps index keys within KV's 512 bytes. */
export const MAX_USER_EMAIL_BYTES = 254

export interface StoredClient {
  resourceType: 'Client'
  id: string
  secret?: string
  grant_types?: string[]
  active?: boolean
  [field: string]: unknown
}

/**
 * A person who logs in (SMART App Launch, docs/users.md); `password` is only ever the stored hash
 * form. `meta.created` is when the User was created (tokens issued before it are not its own).
 */
export interface StoredUser {
  resourceType: 'User'
  id: string
  password?: string
  active?: boolean
  email?: string
  fhirUser?: { reference?: string }
  meta?: { created?: string; lastUpdated?: string }
  [field: string]: unknown
}

export interface StoredPolicy {
  resourceType: 'AccessPolicy'
  id: string
  engine?: string
  link?: unknown[]
  [field: string]: unknown
}

interface Entry<T> {
  value: T
  expires: number
}

// Module scope is the isolate: these are the caches the README describes.
const clients = new Map<string, Entry<StoredClient | null>>()
const users = new Map<string, Entry<StoredUser | null>>()
let policyCache: Entry<StoredPolicy[]> | undefined
let policyLoad: Promise<StoredPolicy[]> | undefined
let policyGeneration = 0

export function cacheTtlMs(env: Env): number {
  const seconds = Number(env.AUTH_CACHE_TTL_SECONDS ?? '60')
  return Number.isFinite(seconds) ? Math.min(Math.max(seconds, 0), 60) * 1000 : 60_000
}

/**
 * Reads a Client (null when absent or not a JSON object), from the isolate cache when fresh enough;
 * `{ fresh: true }` (the admin API) always reads KV.
 */
export function getClient(
  env: Env,
  id: string,
  options: { log: Log; fresh?: boolean }
): Promise<StoredClient | null> {
  return cachedRead(env, clients, CLIENT_PREFIX, 'Client', id, options)
}

export async function putClient(env: Env, client: StoredClient): Promise<void> {
  await env.AUTH.put(CLIENT_PREFIX + client.id, JSON.stringify(client))
  remember(env, clients, client.id, client)
}

export async function deleteClient(env: Env, id: string): Promise<void> {
  await env.AUTH.delete(CLIENT_PREFIX + id)
  remember(env, clients, id, null)
}

/** Reads a User (null when absent or malformed), cached as Clients are; `fresh` always reads KV. */
export function getUser(
  env: Env,
  id: string,
  options: { log: Log; fresh?: boolean }
): Promise<StoredUser | null> {
  return cachedRead(env, users, USER_PREFIX, 'User', id, options)
}

export async function putUser(env: Env, user: StoredUser): Promise<void> {
  await env.AUTH.put(USER_PREFIX + user.id, JSON.stringify(user))
  remember(env, users, user.id, user)
}

export async function deleteUser(env: Env, id: string): Promise<void> {
  await env.AUTH.delete(USER_PREFIX + id)
  remember(env, users, id, null)
}

/**
 * The User id the email index names for `email` (compared lower-cased), or null. The index is a hint
 * (KV has no uniqueness or transactions): callers check that the User still has that email.
 */
export function getUserIdByEmail(env: Env, email: string): Promise<string | null> {
  return env.AUTH.get(USER_EMAIL_PREFIX + email.toLowerCase(), 'text')
}

export async function putUserEmail(env: Env, email: string, id: string): Promise<void> {
  await env.AUTH.put(USER_EMAIL_PREFIX + email.toLowerCase(), id)
}

export async function deleteUserEmail(env: Env, email: string): Promise<void> {
  await env.AUTH.delete(USER_EMAIL_PREFIX + email.toLowerCase())
}

async function cachedRead<T extends { id: string }>(
  env: Env,
  cache: Map<string, Entry<T | null>>,
  prefix: string,
  type: string,
  id: string,
  options: { log: Log; fresh?: boolean }
): Promise<T | null> {
  const now = Date.now()
  const hit = cache.get(id)
  if (!options.fresh && hit && hit.expires > now) return hit.value
  const raw = await env.AUTH.get(prefix + id, 'text')
  const value = raw === null ? null : parseStored<T>(raw, type, id, options.log)
  remember(env, cache, id, value, now)
  return value
}

function remember<T>(
  env: Env,
  cache: Map<string, Entry<T | null>>,
  id: string,
  value: T | null,
  now = Date.now()
) {
  if (cache.size >= MAX_CLIENT_ENTRIES) cache.delete(cache.keys().next().value!)
  cache.delete(id)
  cache.set(id, { value, expires: now + cacheTtlMs(env) })
}

/** Every AccessPolicy; KV is listed at most once per TTL per isolate (concurrent loads share one). */
export async function listPolicies(env: Env, log: Log): Promise<StoredPolicy[]> {
  if (policyCache && policyCache.expires > Date.now()) return policyCache.value
  if (policyLoad) return policyLoad
  const generation = policyGeneration
  const load = loadPolicies(env, log)
  policyLoad = load
  try {
    const value = await load
    // A write in this isolate during the load may not be in what the load read: keep the load's
    // answer for this request only, and let the next request read KV again.
    if (generation === policyGeneration)
      policyCache = { value, expires: Date.now() + cacheTtlMs(env) }
    return value
  } finally {
    if (policyLoad === load) policyLoad = undefined
  }
}

// The KV text each cached policy object was parsed from: a reload that finds the same text keeps
// the same object, so what is derived from it per object (compiled engines) survives reloads.
let parsedPolicies = new Map<string, { raw: string; policy: StoredPolicy }>()

/** KV bulk reads take up to 100 keys and count as one operation (of 1000 per invocation). */
const BULK_GET = 100

async function loadPolicies(env: Env, log: Log): Promise<StoredPolicy[]> {
  const names: string[] = []
  let cursor: string | undefined
  do {
    const page: KVNamespaceListResult<unknown> = await env.AUTH.list({
      prefix: POLICY_PREFIX,
      cursor,
    })
    for (const key of page.keys) names.push(key.name)
    cursor = page.list_complete ? undefined : page.cursor
  } while (cursor)
  const chunks: string[][] = []
  for (let i = 0; i < names.length; i += BULK_GET) chunks.push(names.slice(i, i + BULK_GET))
  const bodies = await Promise.all(chunks.map((chunk) => env.AUTH.get(chunk, 'text')))
  const previous = parsedPolicies
  const next = new Map<string, { raw: string; policy: StoredPolicy }>()
  for (const map of bodies) {
    for (const [name, raw] of map) {
      if (raw === null) continue
      const id = name.slice(POLICY_PREFIX.length)
      const known = previous.get(id)
      const policy =
        known?.raw === raw ? known.policy : parseStored<StoredPolicy>(raw, 'AccessPolicy', id, log)
      if (policy) next.set(id, { raw, policy })
    }
  }
  parsedPolicies = next
  return sortById([...next.values()].map((entry) => entry.policy))
}

export async function getPolicy(env: Env, id: string, log: Log): Promise<StoredPolicy | null> {
  const raw = await env.AUTH.get(POLICY_PREFIX + id, 'text')
  return raw === null ? null : parseStored<StoredPolicy>(raw, 'AccessPolicy', id, log)
}

export async function putPolicy(env: Env, policy: StoredPolicy): Promise<void> {
  const raw = JSON.stringify(policy)
  await env.AUTH.put(POLICY_PREFIX + policy.id, raw)
  parsedPolicies.set(policy.id, { raw, policy })
  updateCachedPolicies((list) => [...list.filter((p) => p.id !== policy.id), policy])
}

export async function deletePolicy(env: Env, id: string): Promise<void> {
  await env.AUTH.delete(POLICY_PREFIX + id)
  parsedPolicies.delete(id)
  updateCachedPolicies((list) => list.filter((p) => p.id !== id))
}

function updateCachedPolicies(change: (list: StoredPolicy[]) => StoredPolicy[]) {
  policyGeneration++
  policyLoad = undefined
  if (policyCache)
    policyCache = { value: sortById(change(policyCache.value)), expires: policyCache.expires }
}

function sortById<T extends { id: string }>(list: T[]): T[] {
  return list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

/** Forget everything cached in this isolate (tests, and after bulk KV changes). */
export function clearAuthCache(): void {
  clients.clear()
  users.clear()
  parsedPolicies = new Map()
  policyCache = undefined
  policyLoad = undefined
  policyGeneration++
}

function parseStored<T extends { id: string }>(
  raw: string,
  type: string,
  id: string,
  log: Log
): T | null {
  try {
    const value: unknown = JSON.parse(raw)
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      return { ...(value as object), resourceType: type, id } as unknown as T
    }
  } catch {
    // fall through
  }
  log.warn('ignoring malformed KV value', { key: `${type}/${id}` })
  return null
}

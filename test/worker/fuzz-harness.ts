// The harness of the authorisation fuzz tests (fuzz-*.test.ts, issue 10): a small seeded dataset
// whose every resource carries a canary string, clients holding narrow AccessPolicies, a sender
// for generated requests, and the invariants every response must keep: no 5xx, no internals in the
// body, no resource (or canary) the caller may not read, no write the caller may not make, nothing
// stored changed by a refused request. Generators are in fuzz-arbitraries.ts.

import { env, SELF } from 'cloudflare:test'
import fc from 'fast-check'
import { basic, call, registerClient, ROOT } from './helpers.ts'
import type { AuthVariant, FuzzRequest } from './fuzz-arbitraries.ts'

// ---------------------------------------------------------------------------------------------
// Configuration: a fixed seed by default (reproducible in CI); VITE_FUZZ_SEED and VITE_FUZZ_RUNS
// (a multiplier of every property's default run count) for longer runs. Vitest passes only
// VITE_-prefixed variables into workerd.

const fuzzEnv = (import.meta as unknown as { env?: Record<string, string | undefined> }).env ?? {}

/** fast-check parameters for a property whose default run count is `runs`. */
export function fuzzParams(runs: number): fc.Parameters<unknown> {
  const factor = Number(fuzzEnv.VITE_FUZZ_RUNS ?? '1')
  return {
    numRuns: Math.max(1, Math.round(runs * (Number.isFinite(factor) ? factor : 1))),
    seed: Number(fuzzEnv.VITE_FUZZ_SEED ?? '20261210'),
    // A failure is shrunk to a minimal request; the bound keeps a failing run from going on for long.
    interruptAfterTimeLimit: 240_000,
    markInterruptAsFailure: false,
  }
}

// ---------------------------------------------------------------------------------------------
// The dataset: four types a narrow client may or may not read, and an Organization. Every resource
// carries the canary `CANARY-<type>-<id>`, which generated requests never contain.

const canary = (type: string, id: string) => ({
  system: 'urn:fuzz:canary',
  value: `CANARY-${type}-${id}`,
})

const SEED_RESOURCES: Record<string, unknown>[] = [
  { resourceType: 'Organization', id: 'org-1', name: 'Acme Clinic', active: true },
  {
    resourceType: 'Practitioner',
    id: 'pr-1',
    active: true,
    name: [{ family: 'Watson', given: ['John'] }],
    gender: 'male',
  },
  { resourceType: 'Practitioner', id: 'pr-2', name: [{ family: 'Holmes', given: ['Sherlock'] }] },
  {
    resourceType: 'Patient',
    id: 'pt-1',
    active: true,
    name: [{ family: 'Chalmers', given: ['Peter', 'James'] }],
    gender: 'male',
    birthDate: '1974-12-25',
    address: [{ line: ['534 Erewhon St'], city: 'PleasantVille', postalCode: '3999' }],
    telecom: [{ system: 'phone', value: '(03) 5555 6473' }],
    generalPractitioner: [{ reference: 'Practitioner/pr-1' }],
    managingOrganization: { reference: 'Organization/org-1' },
  },
  {
    resourceType: 'Patient',
    id: 'pt-2',
    name: [{ family: 'Windsor', given: ['Anna'] }],
    gender: 'female',
    birthDate: '1980-05',
    link: [{ other: { reference: 'Patient/pt-1' }, type: 'seealso' }],
    generalPractitioner: [{ reference: 'Practitioner/pr-2' }],
  },
  {
    resourceType: 'Patient',
    id: 'pt-3',
    name: [{ family: 'Núñez', given: ['José'] }],
    gender: 'other',
    deceasedDateTime: '2015-02-14T13:42:00+10:00',
  },
  { resourceType: 'Patient', id: 'pt-4', active: false },
  ...[
    ['enc-1', 'pt-1', 'finished', '2015-01-01', '2015-01-02'],
    ['enc-2', 'pt-2', 'in-progress', '2021-07-04', undefined],
    ['enc-3', 'pt-1', 'planned', '2023-03-10', '2023-03-10'],
  ].map(([id, subject, status, start, end]) => ({
    resourceType: 'Encounter',
    id,
    status,
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
    subject: { reference: `Patient/${subject}` },
    participant: [{ individual: { reference: 'Practitioner/pr-1' } }],
    serviceProvider: { reference: 'Organization/org-1' },
    period: { start, ...(end ? { end } : {}) },
  })),
  ...[
    ['obs-1', 'pt-1', 'enc-1', '8480-6', 120, '2015-01-01T10:00:00Z'],
    ['obs-2', 'pt-1', 'enc-1', '8462-4', 80, '2015-01-01T10:00:00Z'],
    ['obs-3', 'pt-2', 'enc-2', '4548-4', 6.3, '2021-07-04T08:30:00+02:00'],
    ['obs-4', 'pt-3', undefined, '29463-7', 72.5, '2019-11'],
  ].map(([id, subject, encounter, code, value, date]) => ({
    resourceType: 'Observation',
    id,
    status: 'final',
    category: [
      {
        coding: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/observation-category',
            code: 'vital-signs',
          },
        ],
      },
    ],
    code: { coding: [{ system: 'http://loinc.org', code, display: `LOINC ${code}` }] },
    subject: { reference: `Patient/${subject}` },
    ...(encounter ? { encounter: { reference: `Encounter/${encounter}` } } : {}),
    performer: [{ reference: 'Practitioner/pr-1' }],
    effectiveDateTime: date,
    valueQuantity: { value, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
  })),
  {
    resourceType: 'Observation',
    id: 'obs-5',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] },
    subject: { reference: 'Patient/pt-2' },
    component: [
      {
        code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] },
        valueQuantity: { value: 150, code: 'mm[Hg]' },
      },
      {
        code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] },
        valueQuantity: { value: 95, code: 'mm[Hg]' },
      },
    ],
  },
].map((r) => ({
  ...r,
  identifier: [canary(r.resourceType as string, r.id as string)],
}))

const SEED_TYPES = ['Organization', 'Practitioner', 'Patient', 'Encounter', 'Observation']

/** The seeded resources of `types`, as stored before any fuzzing. */
function seedResources(types: readonly string[] = SEED_TYPES): Record<string, unknown>[] {
  return SEED_RESOURCES.filter((r) => types.includes(r.resourceType as string))
}

/** Writes the dataset as root in one transaction; `entries` PUT each resource by id. */
export async function seedData(types: readonly string[] = SEED_TYPES): Promise<void> {
  const entry = seedResources(types).map((resource) => ({
    resource,
    request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` },
  }))
  const res = await call('POST', '/fhir', {
    auth: ROOT,
    body: { resourceType: 'Bundle', type: 'transaction', entry },
  })
  if (res.status !== 200) throw new Error(`seedData: ${res.status} ${await res.text()}`)
}

/** Deletes the seeded resources of `types` as root in one transaction (the metamorphic flip). */
export async function deleteSeeded(types: readonly string[]): Promise<void> {
  const entry = seedResources(types).map((r) => ({
    request: { method: 'DELETE', url: `${r.resourceType}/${r.id}` },
  }))
  const res = await call('POST', '/fhir', {
    auth: ROOT,
    body: { resourceType: 'Bundle', type: 'transaction', entry },
  })
  if (res.status !== 200) throw new Error(`deleteSeeded: ${res.status} ${await res.text()}`)
}

// ---------------------------------------------------------------------------------------------
// Principals: who sends a request, what it may see, and what it may write.

export interface Principal {
  name: string
  /** Authorization header for `own` credentials; undefined for anonymous. */
  auth?: string
  /** Credentials that belong to no client (wrong secret), for the `wrong-secret` variant. */
  wrongAuth?: string
  /** Whether a resource `type/id` may appear in a response to this principal. */
  canSee(type: string, id: string): boolean
  /** Whether a new history row (type, method) may be written by this principal. */
  mayWrite(type: string, method: string): boolean
  /** Whether this principal may change Clients and AccessPolicies (KV). */
  admin: boolean
  /** Whether this principal may call the debug endpoints (whose answers echo what they are sent). */
  debug: boolean
  /** Ids of resources this principal created itself (they may see those). */
  own: Set<string>
}

/** Practitioners are a public directory: anyone, anonymous included, may search them. */
const PUBLIC_SEARCH_POLICY = {
  engine: 'matcho',
  matcho: { params: { 'resource/type': 'Practitioner' } },
  link: [{ reference: 'Operation/FhirSearch' }],
}

async function clientWithPolicy(
  name: string,
  policy: Record<string, unknown>
): Promise<{ auth: string; wrongAuth: string }> {
  const secret = `fuzz-secret-${name}`
  await registerClient(name, secret)
  const res = await call('PUT', `/AccessPolicy/${name}-policy`, {
    auth: ROOT,
    body: { ...policy, link: [{ reference: `Client/${name}` }] },
  })
  if (res.status !== 201) throw new Error(`policy ${name}: ${res.status} ${await res.text()}`)
  return { auth: basic(name, secret), wrongAuth: basic(name, `${secret}-wrong`) }
}

const nothing = () => false

/** Registers the fuzz clients and their policies; returns them by name. */
export async function setUpPrincipals(): Promise<Record<string, Principal>> {
  const put = await call('PUT', '/AccessPolicy/fuzz-public-practitioners', {
    auth: ROOT,
    body: PUBLIC_SEARCH_POLICY,
  })
  if (put.status !== 201) throw new Error(`public policy: ${put.status} ${await put.text()}`)
  const publicType = (type: string) => type === 'Practitioner'

  const reader = await clientWithPolicy('fuzz-reader', {
    engine: 'matcho',
    matcho: {
      operation: { id: { $enum: ['FhirSearch', 'FhirRead'] } },
      params: { 'resource/type': 'Patient' },
    },
  })
  const creator = await clientWithPolicy('fuzz-creator', {
    engine: 'matcho',
    matcho: { operation: { id: 'FhirCreate' }, params: { 'resource/type': 'Patient' } },
  })
  const bundler = await clientWithPolicy('fuzz-bundler', {
    engine: 'matcho',
    matcho: {
      '$one-of': [
        { operation: { id: 'FhirTransaction' } },
        {
          operation: { id: { $enum: ['FhirCreate', 'FhirUpdate', 'FhirRead', 'FhirSearch'] } },
          params: { 'resource/type': 'Patient' },
        },
      ],
    },
  })
  const debug = await clientWithPolicy('fuzz-debugger', {
    engine: 'matcho',
    matcho: { operation: { id: { $enum: ['DebugMatcho', 'DebugTestPolicy'] } } },
  })
  const full = await clientWithPolicy('fuzz-full', { engine: 'allow' })

  const principal = (p: Omit<Principal, 'own' | 'admin' | 'debug'> & Partial<Principal>) => ({
    admin: false,
    debug: false,
    own: new Set<string>(),
    ...p,
  })
  const creatorP = principal({
    name: 'creator',
    ...creator,
    canSee: (type, id) => publicType(type) || (type === 'Patient' && creatorP.own.has(id)),
    mayWrite: (type, method) => type === 'Patient' && method === 'POST',
  })
  return {
    reader: principal({
      name: 'reader',
      ...reader,
      canSee: (type) => type === 'Patient' || publicType(type),
      mayWrite: nothing,
    }),
    creator: creatorP,
    bundler: principal({
      name: 'bundler',
      ...bundler,
      canSee: (type) => type === 'Patient' || publicType(type),
      mayWrite: (type, method) => type === 'Patient' && (method === 'POST' || method === 'PUT'),
    }),
    debugger: principal({
      name: 'debugger',
      ...debug,
      debug: true,
      canSee: publicType,
      mayWrite: nothing,
    }),
    anonymous: principal({ name: 'anonymous', canSee: publicType, mayWrite: nothing }),
    full: principal({
      name: 'full',
      ...full,
      admin: true,
      debug: true,
      canSee: () => true,
      mayWrite: () => true,
    }),
  }
}

// ---------------------------------------------------------------------------------------------
// Sending a generated request.

export interface Sent {
  status: number
  headers: Headers
  text: string
  json: unknown
  /** Everything the request carried, to tell a string the server made up from one it echoed. */
  requestText: string
}

function authorizationFor(p: Principal, variant: AuthVariant): string | undefined {
  switch (variant.kind) {
    case 'own':
      return p.auth
    case 'scheme-case':
      return p.auth?.replace(/^Basic/, variant.scheme)
    case 'none':
      return undefined
    case 'wrong-secret':
      return p.wrongAuth ?? basic('fuzz-nobody', 'wrong')
    case 'raw':
      return variant.value
  }
}

/** What the principal effectively is for `variant`: the same, anonymous, or nobody (must be 401). */
function effective(p: Principal, variant: AuthVariant, anonymous: Principal): Principal | null {
  switch (variant.kind) {
    case 'own':
    case 'scheme-case':
      return p.auth ? p : anonymous
    case 'none':
      return anonymous
    default:
      return null
  }
}

export async function send(p: Principal, req: FuzzRequest): Promise<Sent> {
  const headers = new Headers()
  for (const [name, value] of req.headers) headers.append(name, value)
  const authorization = authorizationFor(p, req.auth)
  if (authorization !== undefined) headers.set('authorization', authorization)
  const body =
    req.body === undefined || req.method === 'GET' || req.method === 'HEAD'
      ? undefined
      : typeof req.body === 'string'
        ? req.body
        : new Uint8Array(req.body)
  const res = await SELF.fetch(`https://fhir.test${req.path}`, {
    method: req.method,
    headers,
    body,
  })
  const text = await res.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  const requestText = [
    req.path,
    safeDecode(req.path),
    ...req.headers.flat(),
    typeof req.body === 'string'
      ? req.body
      : req.body
        ? new TextDecoder().decode(new Uint8Array(req.body))
        : '',
  ].join('\n')
  return { status: res.status, headers: res.headers, text, json, requestText }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replaceAll('+', ' '))
  } catch {
    return s
  }
}

// ---------------------------------------------------------------------------------------------
// Invariants on one response.

/** Internals that must never reach a client: SQL engine errors, D1 errors, stack frames, source paths. */
// Every repetition is bounded or anchored on a literal, so a megabyte body is scanned in linear time.
const INTERNALS =
  /SQLITE_[A-Z_]{0,40}|D1_[A-Z_]{1,40}|\bat [\w$.<>]{1,200} \([^()\s]{1,300}:\d{1,6}:\d{1,6}\)|[\w-]{0,60}\.ts:\d{1,6}|\bno such (?:table|column)\b|pbkdf2-sha256\$/g

/** The violations in `sent` for principal `p` (empty when every invariant holds). */
export function responseViolations(p: Principal | null, req: FuzzRequest, sent: Sent): string[] {
  const out: string[] = []
  if (sent.status >= 500) out.push(`status ${sent.status}: ${sent.text.slice(0, 300)}`)
  for (const match of internalsIn(req, sent)) out.push(`internal detail in body: ${match}`)
  if (p === null) {
    // wrong or malformed credentials: 401 before anything else, whatever the route, or 429 once
    // the authentication attempts of that client id or address are over their limit
    if (sent.status === 429) {
      if (!sent.headers.get('retry-after')) out.push('429 without Retry-After')
    } else if (sent.status !== 401) {
      out.push(`status ${sent.status} for invalid credentials (want 401, or 429 when throttled)`)
    } else if (!sent.headers.get('www-authenticate')) out.push('401 without WWW-Authenticate')
  }
  const viewer = p ?? { canSee: () => false, debug: false }
  if (!(viewer.debug && isDebugPath(req.path))) {
    for (const [type, id] of resourcesIn(sent.json)) {
      if (!viewer.canSee(type, id)) out.push(`resource ${type}/${id} in the response`)
    }
  }
  for (const m of sent.text.matchAll(/CANARY-(\w+)-([\w-]+)/g)) {
    if (!viewer.canSee(m[1]!, m[2]!) && !sent.requestText.includes(m[0])) {
      out.push(`canary ${m[0]} in the response`)
    }
  }
  return out
}

function isDebugPath(path: string): boolean {
  return /^\/(?:\$matcho|auth\/test-policy)(?:[/?]|$)/.test(path)
}

function internalsIn(req: FuzzRequest, sent: Sent): string[] {
  let text = sent.text
  // test-policy reports a sql policy's D1 error in result.error by design (docs/access-policies.md)
  if (isDebugPath(req.path) && isObject(sent.json) && isObject(sent.json.result)) {
    text = JSON.stringify({ ...sent.json, result: { ...sent.json.result, error: undefined } })
  }
  return [...text.matchAll(INTERNALS)].map((m) => m[0]).filter((m) => !sent.requestText.includes(m))
}

function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Wrappers a response is made of, which hold no stored data of their own. */
const CONTAINERS = new Set(['Bundle', 'OperationOutcome', 'CapabilityStatement'])

/**
 * Every resource a response holds, as [type, id]: the body itself, every Bundle entry's resource and
 * outcome (recursively: a batch-response entry may hold a searchset), and admin resources (Client,
 * AccessPolicy). Containers (Bundle, OperationOutcome) are walked, not reported; contained resources
 * belong to their parent and are not walked.
 */
function resourcesIn(json: unknown): [string, string][] {
  const out: [string, string][] = []
  const visit = (r: unknown) => {
    if (!isObject(r) || typeof r.resourceType !== 'string') return
    if (!CONTAINERS.has(r.resourceType)) out.push([r.resourceType, String(r.id ?? '')])
    if (r.resourceType === 'Bundle' && Array.isArray(r.entry)) {
      for (const e of r.entry) {
        if (!isObject(e)) continue
        visit(e.resource)
        if (isObject(e.response)) visit(e.response.outcome)
      }
    }
  }
  visit(json)
  return out
}

// ---------------------------------------------------------------------------------------------
// Invariants on what is stored: D1 (every write adds a history row) and KV.

export interface Snapshot {
  lastHistory: number
  counts: string
}

const COUNTS_SQL = `SELECT
  (SELECT count(*) FROM resource) || ',' || (SELECT coalesce(sum(version), 0) FROM resource) || ',' ||
  (SELECT coalesce(sum(deleted), 0) FROM resource) || ',' || (SELECT count(*) FROM resource_history) || ',' ||
  (SELECT count(*) FROM ix_token) || ',' || (SELECT count(*) FROM ix_token_text) || ',' ||
  (SELECT count(*) FROM ix_string) || ',' || (SELECT count(*) FROM ix_date) || ',' ||
  (SELECT count(*) FROM ix_number) || ',' || (SELECT count(*) FROM ix_quantity) || ',' ||
  (SELECT count(*) FROM ix_ref) || ',' || (SELECT count(*) FROM ix_uri) || ',' ||
  (SELECT count(*) FROM ix_composite) AS counts,
  (SELECT coalesce(max(rowid), 0) FROM resource_history) AS last`

async function snapshot(): Promise<Snapshot> {
  const row = await env.DB.prepare(COUNTS_SQL).first<{ counts: string; last: number }>()
  return { lastHistory: row!.last, counts: row!.counts }
}

interface HistoryRow {
  type: string
  id: string
  method: string
  version: number
}

/** The history rows written since `before`. */
async function writtenSince(before: Snapshot): Promise<HistoryRow[]> {
  const { results } = await env.DB.prepare(
    'SELECT type, id, method, version FROM resource_history WHERE rowid > ?1 ORDER BY rowid'
  )
    .bind(before.lastHistory)
    .all<HistoryRow>()
  return results
}

/** Every Client and AccessPolicy in KV, as one string. */
async function kvSnapshot(): Promise<string> {
  const { keys } = await env.AUTH.list()
  const values = await Promise.all(keys.map((k) => env.AUTH.get(k.name)))
  return JSON.stringify(keys.map((k, i) => [k.name, values[i]]))
}

/** True when `sent` refused the request: a 4xx, or a batch in which no entry succeeded. */
export function refused(sent: Sent): boolean {
  if (sent.status >= 400 && sent.status < 500) return true
  const bundle = sent.json
  if (
    sent.status === 200 &&
    isObject(bundle) &&
    bundle.resourceType === 'Bundle' &&
    bundle.type === 'batch-response' &&
    Array.isArray(bundle.entry)
  ) {
    return bundle.entry.every(
      (e: unknown) => isObject(e) && isObject(e.response) && !/^2/.test(String(e.response.status))
    )
  }
  return false
}

/** The violations of the stored-data invariants for a request `p` sent and its answer `sent`. */
async function storageViolations(
  p: Principal | null,
  before: Snapshot,
  sent: Sent
): Promise<string[]> {
  const after = await snapshot()
  const out: string[] = []
  const written = after.lastHistory === before.lastHistory ? [] : await writtenSince(before)
  if (refused(sent) && (written.length || after.counts !== before.counts)) {
    out.push(
      `refused (${sent.status}) yet stored data changed: ${before.counts} -> ${after.counts}` +
        ` ${JSON.stringify(written)}`
    )
  } else if (!written.length && after.counts !== before.counts) {
    out.push(`stored data changed without a history row: ${before.counts} -> ${after.counts}`)
  }
  for (const w of written) {
    if (!p?.mayWrite(w.type, w.method)) {
      out.push(
        `${p?.name ?? 'invalid credentials'} wrote ${w.method} ${w.type}/${w.id} v${w.version}`
      )
    }
  }
  // a write-only principal may see what it created
  if (p) for (const w of written) if (w.method === 'POST' || w.method === 'PUT') p.own.add(w.id)
  return out
}

/** Gaps in any resource's history (versions must be 1..n) or a current row that is not the last. */
export async function historyViolations(): Promise<string[]> {
  const { results } = await env.DB.prepare(
    `SELECT r.type, r.id, r.version, count(h.version) AS n, max(h.version) AS top
       FROM resource r JOIN resource_history h ON h.pk = r.pk
      GROUP BY r.pk HAVING n != top OR top != r.version OR min(h.version) != 1`
  ).all()
  return results.map((r) => `history of ${r.type}/${r.id} broken: ${JSON.stringify(r)}`)
}

/** Runs `req` as `p`: the answer and every violation (none when all invariants hold). */
async function check(
  p: Principal,
  anonymous: Principal,
  req: FuzzRequest
): Promise<{ sent: Sent; violations: string[] }> {
  const who = effective(p, req.auth, anonymous)
  const adminPath = /^\/(?:Client|AccessPolicy)\b/.test(req.path)
  const kvBefore = adminPath ? await kvSnapshot() : ''
  const before = await snapshot()
  const sent = await send(p, req)
  // storage first: it records what a write-only principal created, which it may then see
  const found = [
    ...(await storageViolations(who, before, sent)),
    ...responseViolations(who, req, sent),
  ]
  if (adminPath && !who?.admin && (await kvSnapshot()) !== kvBefore) {
    found.push(`${who?.name ?? 'invalid credentials'} changed KV (status ${sent.status})`)
  }
  const context = `\n  as ${p.name}: ${describe(req)}\n  answer: ${sent.status} ${sent.text.slice(0, 400)}`
  return { sent, violations: found.map((v) => v + context) }
}

/** A request on one line, for failure messages. */
export function describe(req: FuzzRequest): string {
  const body =
    req.body === undefined
      ? ''
      : typeof req.body === 'string'
        ? ` body=${req.body.length > 300 ? `${req.body.slice(0, 300)}…(${req.body.length})` : req.body}`
        : ` body=<${req.body.length} bytes>`
  return `${req.method} ${req.path.length > 300 ? `${req.path.slice(0, 300)}…` : req.path} auth=${JSON.stringify(req.auth)} headers=${JSON.stringify(req.headers)}${body}`
}

/** For properties: runs `req` as `p`, throws with every violation, else returns the answer. */
export async function expectInvariants(
  p: Principal,
  anonymous: Principal,
  req: FuzzRequest
): Promise<Sent> {
  const { sent, violations } = await check(p, anonymous, req)
  if (violations.length) throw new Error(violations.join('\n'))
  return sent
}

// The load test's mixed workload: `concurrency` loops, each sending until the deadline a random
// mix of reads, searches and writes (creates, updates with and without If-Match, conditional
// updates, deletes, small transactions) over a few Patients and the Observations the run creates.
// Every request is timed; every acknowledged write (2xx) is recorded with the version its ETag
// (or Location) names. Statuses a correct server may give under contention (412 for a lost
// If-Match race, 409 after the server's own retries) are refusals; 5xx, network errors and any
// status a kind never expects are errors.

import { etagVersion, parseLocation, type Ack, type Sample } from './record.ts'

export interface LoadOptions {
  url: string
  authorization: string
  concurrency: number
  seconds: number
  seed: number
  /** Patients the workload updates (`lt-pt-0` …). */
  patients: number
}

export interface LoadResult {
  samples: Sample[]
  acks: Ack[]
  errors: string[]
  seconds: number
}

/** A response, its body read. */
interface Answer {
  status: number
  headers: Headers
  text: string
}

/** Identifier system of the conditional updates; a few values, so concurrent ones collide. */
export const CONDITIONAL_SYSTEM = 'urn:load:key'
export const CONDITIONAL_KEYS = 8
/** The key every connection updates at once when the load starts. */
export const BURST_KEY = 'burst'

/** Statuses each kind may answer without anything being wrong. */
const EXPECTED: Record<string, number[]> = {
  read: [200, 410],
  search: [200],
  create: [201],
  update: [200, 201, 409],
  'update-if-match': [200, 412],
  'read-for-if-match': [200],
  'conditional-update': [200, 201, 409, 412],
  delete: [200, 204, 409],
  transaction: [200, 409],
}

/** mulberry32: a small seeded generator, so a run's mix is reproducible. */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function patientBody(id: string, n: number): Record<string, unknown> {
  return {
    resourceType: 'Patient',
    id,
    name: [{ family: `Load${n % 50}`, given: [`G${n}`] }],
    birthDate: `19${String(10 + (n % 89)).padStart(2, '0')}-0${1 + (n % 9)}-1${n % 10}`,
  }
}

function observationBody(subject: string, n: number): Record<string, unknown> {
  return {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: `load-${n % 12}` }] },
    subject: { reference: `Patient/${subject}` },
    effectiveDateTime: `2024-0${1 + (n % 9)}-1${n % 10}T10:00:00Z`,
    valueQuantity: {
      value: n % 200,
      unit: 'mmHg',
      system: 'http://unitsofmeasure.org',
      code: 'mm[Hg]',
    },
  }
}

export async function runWorkload(options: LoadOptions): Promise<LoadResult> {
  const samples: Sample[] = []
  const acks: Ack[] = []
  const errors: string[] = []
  const observations: string[] = []
  const started = performance.now()
  const deadline = started + options.seconds * 1000

  async function send(
    kind: string,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {}
  ): Promise<Answer | undefined> {
    const t0 = performance.now()
    try {
      const res = await fetch(`${options.url}${path}`, {
        method,
        headers: {
          authorization: options.authorization,
          accept: 'application/fhir+json',
          ...(body === undefined ? {} : { 'content-type': 'application/fhir+json' }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      })
      const text = await res.text()
      samples.push({ kind, status: res.status, ms: performance.now() - t0 })
      if (!EXPECTED[kind]!.includes(res.status)) {
        errors.push(`${kind}: ${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`)
      }
      return { status: res.status, headers: res.headers, text }
    } catch (err) {
      samples.push({ kind, status: 0, ms: performance.now() - t0 })
      errors.push(`${kind}: ${method} ${path} failed: ${String(err)}`)
      return undefined
    }
  }

  /** Records the write `res` acknowledged (2xx), from its Location and ETag. */
  function acknowledge(kind: string, res: Answer | undefined, type: string, id?: string): void {
    if (!res || res.status < 200 || res.status > 299) return
    const location = parseLocation(res.headers.get('location'))
    const version = location?.[2] ?? etagVersion(res.headers.get('etag'))
    const ackId = location?.[1] ?? id
    if (version === undefined || ackId === undefined) {
      if (kind !== 'delete') errors.push(`${kind}: ${res.status} without a version (ETag/Location)`)
      return
    }
    acks.push({ type, id: ackId, version, deleted: kind === 'delete', kind })
  }

  async function conditionalUpdate(key: string, n: number): Promise<void> {
    const body = {
      resourceType: 'Patient',
      identifier: [{ system: CONDITIONAL_SYSTEM, value: key }],
      name: [{ family: 'Conditional', given: [`G${n}`] }],
    }
    const res = await send(
      'conditional-update',
      'PUT',
      `/fhir/Patient?identifier=${encodeURIComponent(`${CONDITIONAL_SYSTEM}|${key}`)}`,
      body
    )
    acknowledge('conditional-update', res, 'Patient')
  }

  const operations: [number, (rnd: () => number, n: number) => Promise<void>][] = [
    [
      22,
      async (rnd) => {
        const obs = observations.length && rnd() < 0.4
        const path = obs
          ? `/fhir/Observation/${observations[Math.floor(rnd() * observations.length)]}`
          : `/fhir/Patient/lt-pt-${Math.floor(rnd() * options.patients)}`
        await send('read', 'GET', path)
      },
    ],
    [
      18,
      async (rnd, n) => {
        const pt = `lt-pt-${Math.floor(rnd() * options.patients)}`
        const queries = [
          `/fhir/Patient?name=Load${n % 50}`,
          `/fhir/Observation?subject=Patient/${pt}&_count=10`,
          `/fhir/Observation?code=http://loinc.org|load-${n % 12}&_sort=-date&_count=5`,
          `/fhir/Patient?_id=${pt},lt-pt-0&_revinclude=Observation:subject&_count=5`,
          `/fhir/Observation?value-quantity=gt${n % 150}&_count=5&_total=accurate`,
        ]
        await send('search', 'GET', queries[Math.floor(rnd() * queries.length)]!)
      },
    ],
    [
      15,
      async (rnd, n) => {
        const subject = `lt-pt-${Math.floor(rnd() * options.patients)}`
        const res = await send('create', 'POST', '/fhir/Observation', observationBody(subject, n))
        acknowledge('create', res, 'Observation')
        const id = parseLocation(res?.headers.get('location'))?.[1]
        if (id) observations.push(id)
      },
    ],
    [
      12,
      async (rnd, n) => {
        const id = `lt-pt-${Math.floor(rnd() * options.patients)}`
        const res = await send('update', 'PUT', `/fhir/Patient/${id}`, patientBody(id, n))
        acknowledge('update', res, 'Patient', id)
      },
    ],
    [
      10,
      async (rnd, n) => {
        const id = `lt-pt-${Math.floor(rnd() * options.patients)}`
        const read = await send('read-for-if-match', 'GET', `/fhir/Patient/${id}`)
        const etag = read?.headers.get('etag')
        if (!etag) return
        const res = await send(
          'update-if-match',
          'PUT',
          `/fhir/Patient/${id}`,
          patientBody(id, n),
          {
            'if-match': etag,
          }
        )
        acknowledge('update-if-match', res, 'Patient', id)
      },
    ],
    [8, (rnd, n) => conditionalUpdate(`k${Math.floor(rnd() * CONDITIONAL_KEYS)}`, n)],
    [
      5,
      async (rnd) => {
        if (!observations.length) return
        const [id] = observations.splice(Math.floor(rnd() * observations.length), 1)
        const res = await send('delete', 'DELETE', `/fhir/Observation/${id}`)
        acknowledge('delete', res, 'Observation', id)
      },
    ],
    [
      10,
      async (rnd, n) => {
        const pt = `lt-pt-${Math.floor(rnd() * options.patients)}`
        const uuid = `urn:uuid:${crypto.randomUUID()}`
        const entry = [
          {
            fullUrl: uuid,
            resource: observationBody(pt, n),
            request: { method: 'POST', url: 'Observation' },
          },
          {
            resource: { ...observationBody(pt, n + 1), derivedFrom: [{ reference: uuid }] },
            request: { method: 'POST', url: 'Observation' },
          },
          { resource: patientBody(pt, n), request: { method: 'PUT', url: `Patient/${pt}` } },
        ]
        const res = await send('transaction', 'POST', '/fhir', {
          resourceType: 'Bundle',
          type: 'transaction',
          entry,
        })
        if (res?.status !== 200) return
        const bundle = JSON.parse(res.text) as { entry?: { response?: Record<string, string> }[] }
        for (const e of bundle.entry ?? []) {
          const location = parseLocation(e.response?.location)
          const version = location?.[2] ?? etagVersion(e.response?.etag)
          if (!location || version === undefined) {
            errors.push(`transaction: entry without location/etag: ${JSON.stringify(e.response)}`)
            continue
          }
          acks.push({
            type: location[0],
            id: location[1],
            version,
            deleted: false,
            kind: 'transaction',
          })
          if (location[0] === 'Observation') observations.push(location[1])
        }
      },
    ],
  ]
  const total = operations.reduce((sum, [w]) => sum + w, 0)

  async function loop(worker: number): Promise<void> {
    const rnd = random(options.seed * 1000 + worker)
    // every connection opens with the same conditional update: `concurrency` of them at once
    await conditionalUpdate(BURST_KEY, worker)
    for (let n = worker * 100_000; performance.now() < deadline; n++) {
      let pick = rnd() * total
      const op = operations.find(([w]) => (pick -= w) < 0) ?? operations[0]!
      await op[1](rnd, n)
    }
  }

  await Promise.all(Array.from({ length: options.concurrency }, (_, i) => loop(i)))
  return { samples, acks, errors, seconds: (performance.now() - started) / 1000 }
}

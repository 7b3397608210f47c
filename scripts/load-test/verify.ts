// After the load: every acknowledged write is readable at its acknowledged version (vread: 200 with
// that versionId, or 410 for the version a delete wrote), every written resource's history is
// complete (versions 1..n, no gaps, the acknowledged ones present), and conditional updates made at
// most one resource per criteria. Requests go `concurrency` at a time.

import { etagVersion, historyProblems, type Ack } from './record.ts'
import { BURST_KEY, CONDITIONAL_KEYS, CONDITIONAL_SYSTEM } from './workload.ts'

export interface Verification {
  violations: string[]
  /** Problems of a class the project knows to be open (reported, not counted as violations). */
  knownOpen: string[]
  checked: { vreads: number; histories: number }
}

/**
 * Concurrent conditional updates with the same criteria used to each find no match and each create;
 * fixed by the no-match guard committed with the create (1c8e4e1). Duplicates fail the run; set to
 * true only to isolate a regression.
 */
const KNOWN_OPEN_CONDITIONAL_DUPLICATES = false

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>) {
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]!)
    })
  )
}

export async function verify(
  url: string,
  authorization: string,
  acks: Ack[],
  concurrency: number
): Promise<Verification> {
  const violations: string[] = []
  const knownOpen: string[] = []
  const get = async (path: string) => {
    const res = await fetch(`${url}${path}`, {
      headers: { authorization, accept: 'application/fhir+json' },
      signal: AbortSignal.timeout(30_000),
    })
    return { status: res.status, json: (await res.json().catch(() => undefined)) as any }
  }

  const unique = new Map(acks.map((a) => [`${a.type}/${a.id}/${a.version}`, a]))
  await pool([...unique.values()], concurrency, async (ack) => {
    const path = `/fhir/${ack.type}/${ack.id}/_history/${ack.version}`
    try {
      const { status, json } = await get(path)
      if (ack.deleted) {
        if (status !== 410)
          violations.push(`vread ${path} (acknowledged delete): ${status}, want 410`)
      } else if (
        status !== 200 ||
        json?.meta?.versionId !== String(ack.version) ||
        json?.id !== ack.id
      ) {
        violations.push(
          `vread ${path} (acknowledged ${ack.kind}): ${status} versionId ${json?.meta?.versionId}`
        )
      }
    } catch (err) {
      violations.push(`vread ${path}: ${String(err)}`)
    }
  })

  const byResource = new Map<string, number[]>()
  for (const a of acks) {
    const key = `${a.type}/${a.id}`
    byResource.set(key, [...(byResource.get(key) ?? []), a.version])
  }
  await pool([...byResource], concurrency, async ([key, acked]) => {
    try {
      const versions: number[] = []
      let path: string | undefined = `/fhir/${key}/_history?_count=1000`
      while (path) {
        const { status, json } = await get(path)
        if (status !== 200) {
          violations.push(`history of ${key}: ${status}`)
          return
        }
        for (const e of json.entry ?? []) {
          const v = etagVersion(e.response?.etag) ?? Number(e.resource?.meta?.versionId)
          versions.push(v)
        }
        const next = (json.link ?? []).find((l: { relation: string }) => l.relation === 'next')
        path = next ? new URL(next.url).pathname + new URL(next.url).search : undefined
      }
      violations.push(...historyProblems(key, versions, acked))
    } catch (err) {
      violations.push(`history of ${key}: ${String(err)}`)
    }
  })

  const keys = [BURST_KEY, ...Array.from({ length: CONDITIONAL_KEYS }, (_, k) => `k${k}`)]
  for (const key of keys) {
    const criteria = encodeURIComponent(`${CONDITIONAL_SYSTEM}|${key}`)
    const { json } = await get(`/fhir/Patient?identifier=${criteria}&_summary=count`)
    if ((json?.total ?? 0) > 1) {
      const problem = `conditional update ?identifier=${CONDITIONAL_SYSTEM}|${key} made ${json.total} Patients (want at most 1)`
      ;(KNOWN_OPEN_CONDITIONAL_DUPLICATES ? knownOpen : violations).push(problem)
    }
  }
  return { violations, knownOpen, checked: { vreads: unique.size, histories: byResource.size } }
}

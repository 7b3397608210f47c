// What the load test keeps of every request: its kind, status and latency, and for each
// acknowledged write (a 2xx) the resource and version it acknowledged. Pure functions, so the
// checks on history (versions 1..n, no gaps, the acknowledged ones present) are unit-tested
// (test/node/load-test-record.test.ts) without a server.

/** One acknowledged write: `type/id` is at `version` (or deleted by it, when `deleted`). */
export interface Ack {
  type: string
  id: string
  version: number
  deleted: boolean
  kind: string
}

export interface Sample {
  kind: string
  status: number
  ms: number
}

/** `W/"3"` (or `"3"`) -> 3; undefined when there is no such ETag. */
export function etagVersion(etag: string | null | undefined): number | undefined {
  const m = /^(?:W\/)?"(\d+)"$/.exec(etag?.trim() ?? '')
  return m ? Number(m[1]) : undefined
}

/** `.../fhir/Patient/abc/_history/3` (or a Bundle entry's `Patient/abc/_history/3`) -> ['Patient', 'abc', 3]. */
export function parseLocation(
  location: string | null | undefined
): [string, string, number] | undefined {
  const m = /(?:^|\/)([A-Z][A-Za-z]+)\/([^/]+)\/_history\/(\d+)$/.exec(location ?? '')
  return m ? [m[1]!, m[2]!, Number(m[3])] : undefined
}

/**
 * Problems with one resource's history: `versions` as the server lists them (any order), `acked`
 * the versions writes acknowledged. Versions must be exactly 1..n with none repeated, and every
 * acknowledged version among them.
 */
export function historyProblems(key: string, versions: number[], acked: number[]): string[] {
  const out: string[] = []
  const sorted = [...versions].sort((a, b) => a - b)
  const n = sorted.length
  if (n === 0) out.push(`${key}: no history at all`)
  sorted.forEach((v, i) => {
    if (v !== i + 1) {
      if (!out.length) out.push(`${key}: versions are not 1..${n}: ${sorted.join(',')}`)
    }
  })
  const have = new Set(sorted)
  for (const v of new Set(acked)) {
    if (!have.has(v)) out.push(`${key}: acknowledged version ${v} missing from history`)
  }
  return out
}

/** p-th percentile (0..100) of `values`, nearest rank; NaN for none. */
export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]!
}

/** A table of figures per kind: count, statuses, p50 and p95 latency. */
export function figures(samples: Sample[], seconds: number): string {
  const byKind = new Map<string, Sample[]>()
  for (const s of samples) byKind.set(s.kind, [...(byKind.get(s.kind) ?? []), s])
  const lines = [
    `${samples.length} requests in ${seconds.toFixed(1)} s: ${(samples.length / seconds).toFixed(1)} requests/s`,
    `${'kind'.padEnd(22)} ${'count'.padStart(6)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)}  statuses`,
  ]
  for (const [kind, list] of [...byKind].sort(([a], [b]) => a.localeCompare(b))) {
    const statuses = new Map<number, number>()
    for (const s of list) statuses.set(s.status, (statuses.get(s.status) ?? 0) + 1)
    const ms = list.map((s) => s.ms)
    lines.push(
      `${kind.padEnd(22)} ${String(list.length).padStart(6)} ${percentile(ms, 50).toFixed(1).padStart(8)} ${percentile(ms, 95).toFixed(1).padStart(8)}  ` +
        [...statuses]
          .sort(([a], [b]) => a - b)
          .map(([status, n]) => `${status === 0 ? 'network error' : status}×${n}`)
          .join(' ')
    )
  }
  return lines.join('\n')
}

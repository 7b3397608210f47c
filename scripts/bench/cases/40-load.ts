// Bulk loading throughput: generated data (scripts/seed) written to NDJSON, then loaded by the same code
// as `npm run seed` (transaction Bundles of PUT-by-id entries) into the Worker; a second pass measures
// the idempotent reload (nothing changes).

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { generateResources, writeNdjson } from '../../seed/generate.ts'
import { load } from '../../load/loader.ts'
import { inputFiles } from '../../load/ndjson.ts'
import { ORIGIN, type BenchCase } from '../harness.ts'

const PATIENTS = Number(process.env.BENCH_LOAD_PATIENTS ?? 200)

const benchCase: BenchCase = {
  name: `bulk load (generated data, ${PATIENTS} patients)`,
  async run({ mf, rootAuth, report }) {
    const dir = mkdtempSync(path.join(tmpdir(), 'edge-fhir-bench-load-'))
    try {
      const written = writeNdjson(generateResources({ patients: PATIENTS, seed: 7 }), dir)
      const total = Object.values(written.counts).reduce((a, b) => a + (b ?? 0), 0)
      const fetchFn = (url: string, init: RequestInit) =>
        mf.dispatchFetch(url, init as never) as unknown as Promise<Response>
      for (const [label, expectCreated] of [
        ['first load', total],
        ['reload (unchanged)', 0],
      ] as const) {
        const chunkTimes: number[] = []
        const summary = await load({
          files: inputFiles(dir),
          url: ORIGIN,
          authorization: rootAuth,
          fetch: async (url, init) => {
            const start = performance.now()
            const res = await fetchFn(url, init)
            chunkTimes.push(performance.now() - start)
            return res
          },
        })
        if (summary.failed.length || summary.created !== expectCreated) {
          throw new Error(
            `unexpected load result: ${JSON.stringify({ ...summary, failed: summary.failed.slice(0, 3) })}`
          )
        }
        chunkTimes.sort((a, b) => a - b)
        const rate = total / summary.seconds
        report({
          case: `${label}: ${total} resources, Bundles of 250, 4 in flight`,
          n: chunkTimes.length,
          p50: chunkTimes[Math.floor(chunkTimes.length / 2)]!,
          p95: chunkTimes[Math.floor(chunkTimes.length * 0.95)]!,
          mean: chunkTimes.reduce((a, b) => a + b, 0) / chunkTimes.length,
          note: `per Bundle; ${rate.toFixed(0)} resources/s overall`,
        })
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  },
}
export default benchCase

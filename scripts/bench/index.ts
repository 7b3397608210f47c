// `npm run bench`: runs every case in scripts/bench/cases/ (or those named on the command line) against
// one Miniflare instance and prints p50/p95/mean and the Worker's CPU ms per request for each line,
// then every line against a bare baseline Worker (one that answers "ok") measured in the same run.
// Cases own their data; figures are only comparable within one run.

import { readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { basicHeader } from '../local.ts'
import { convertV4MiniflareOptions, Miniflare } from 'miniflare'
import {
  BENCH_ROOT,
  buildWorker,
  expectStatus,
  ORIGIN,
  startWorker,
  summarize,
  time,
  type BenchCase,
  type BenchLine,
} from './harness.ts'

const casesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'cases')
const only = process.argv.slice(2)
const files = readdirSync(casesDir)
  .filter((f) => f.endsWith('.ts'))
  .sort()
  .filter((f) => only.length === 0 || only.some((name) => f.startsWith(name)))

const script = buildWorker()
const lines: BenchLine[] = []
const f = (x: number) => x.toFixed(2).padStart(8)
const cpuText = (line: BenchLine) => (line.cpu === undefined ? '' : `  cpu ${f(line.cpu)} ms`)
const print = (line: BenchLine) =>
  console.log(
    `${line.case.padEnd(52)} n=${String(line.n).padStart(6)}  p50 ${f(line.p50)} ms  p95 ${f(line.p95)} ms  mean ${f(line.mean)} ms${cpuText(line)}${line.note ? `  ${line.note}` : ''}`
  )

// The bare baseline: a Worker that does nothing but answer, in the same Miniflare set-up.
const bare = new Miniflare(
  convertV4MiniflareOptions({
    modules: true,
    script: 'export default { fetch() { return new Response("ok") } }',
    compatibilityDate: '2026-11-01',
  })
)
console.log('\n## bare baseline Worker')
const baseline = summarize(
  'bare Worker GET / (the baseline)',
  await time(1000, () =>
    expectStatus(bare.dispatchFetch(`${ORIGIN}/`) as unknown as Promise<Response>, 200)
  )
)
await bare.dispose()
print(baseline)
for (const file of files) {
  const benchCase = (await import(pathToFileURL(path.join(casesDir, file)).href))
    .default as BenchCase
  // A fresh Worker (empty KV, D1 and isolate caches) per case file.
  const mf = await startWorker(script)
  try {
    console.log(`\n## ${benchCase.name}`)
    await benchCase.run({
      mf,
      rootAuth: basicHeader(BENCH_ROOT.id, BENCH_ROOT.secret),
      fetch: (p, init) =>
        mf.dispatchFetch(`${ORIGIN}${p}`, init as never) as unknown as Promise<Response>,
      report(line) {
        lines.push(line)
        print(line)
      },
    })
  } finally {
    await mf.dispose()
  }
}
console.log('\n## against the bare baseline Worker (x times its mean latency, its CPU ms)')
for (const line of lines) {
  const cpu =
    line.cpu === undefined || !baseline.cpu ? '' : `  cpu x${(line.cpu / baseline.cpu).toFixed(1)}`
  console.log(`${line.case.padEnd(52)} mean x${(line.mean / baseline.mean).toFixed(1)}${cpu}`)
}
console.log(`\n${lines.length} measurements (node ${process.version}, ${new Date().toISOString()})`)

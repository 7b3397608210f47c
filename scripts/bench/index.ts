// `npm run bench`: runs every case in scripts/bench/cases/ (or those named on the command line) against
// one Miniflare instance and prints p50/p95/mean per case. Cases own their data; ratios are only
// meaningful between lines of one run.

import { readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { basicHeader } from '../local.ts'
import {
  BENCH_ROOT,
  buildWorker,
  ORIGIN,
  startWorker,
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
        const f = (x: number) => x.toFixed(2).padStart(8)
        console.log(
          `${line.case.padEnd(52)} n=${String(line.n).padStart(6)}  p50 ${f(line.p50)} ms  p95 ${f(line.p95)} ms  mean ${f(line.mean)} ms${line.note ? `  ${line.note}` : ''}`
        )
      },
    })
  } finally {
    await mf.dispose()
  }
}
console.log(`\n${lines.length} measurements (node ${process.version}, ${new Date().toISOString()})`)

// `npm run seed -- --file <ndjson|dir> [--url <base>] [--remote] [--chunk N] [--concurrency N]`
// Loads NDJSON into a running server through the FHIR API (transaction Bundles of PUT-by-id entries),
// with a progress bar, a resumable checkpoint (.seed-checkpoint.json) and a summary at the end.
// Local (default): http://localhost:$PORT with the root credentials from .dev.vars.
// --remote: a deployed server; needs --url and EDGE_FHIR_CLIENT_ID / EDGE_FHIR_CLIENT_SECRET
// (a client allowed FhirTransaction and FhirUpdate), never the dev credentials.

import path from 'node:path'
import { parseArgs } from 'node:util'
import cliProgress from 'cli-progress'
import { basicHeader, readRootCredentials, ROOT } from '../local.ts'
import { Checkpoint } from './checkpoint.ts'
import { load } from './loader.ts'
import { countLines, inputFiles } from './ndjson.ts'

const { values } = parseArgs({
  options: {
    file: { type: 'string' },
    url: { type: 'string' },
    remote: { type: 'boolean', default: false },
    chunk: { type: 'string', default: '250' },
    concurrency: { type: 'string', default: '4' },
    checkpoint: { type: 'string', default: '.seed-checkpoint.json' },
  },
})

function fail(message: string): never {
  console.error(message)
  process.exit(2)
}

if (!values.file)
  fail('usage: npm run seed -- --file <ndjson file or directory> [--url <base>] [--remote]')
let url: string
let authorization: string
if (values.remote) {
  if (!values.url) fail('--remote needs --url https://<your-worker>')
  const id = process.env.EDGE_FHIR_CLIENT_ID
  const secret = process.env.EDGE_FHIR_CLIENT_SECRET
  if (!id || !secret)
    fail('--remote needs EDGE_FHIR_CLIENT_ID and EDGE_FHIR_CLIENT_SECRET in the environment')
  url = values.url
  authorization = basicHeader(id, secret)
} else {
  url = values.url ?? `http://localhost:${process.env.PORT ?? 8787}`
  const root = readRootCredentials(path.join(ROOT, '.dev.vars'))
  authorization = basicHeader(root.id, root.secret)
}
url = url.replace(/\/+$/, '')

const files = inputFiles(values.file)
let total = 0
for (const file of files) total += await countLines(file)
const checkpoint = new Checkpoint(path.resolve(values.checkpoint), url)

const bar = new cliProgress.SingleBar(
  {
    format: 'loading {bar} {value}/{total} resources | {rate} res/s | ETA {eta_formatted}',
    etaBuffer: 50,
  },
  cliProgress.Presets.shades_classic
)
const started = performance.now()
let done = 0
bar.start(total, 0, { rate: '0' })
try {
  const summary = await load({
    files,
    url,
    authorization,
    checkpoint,
    chunkSize: Number(values.chunk),
    concurrency: Number(values.concurrency),
    onProgress(lines) {
      done += lines
      bar.update(done, { rate: (done / ((performance.now() - started) / 1000)).toFixed(0) })
    },
  })
  bar.update(done + summary.resumed)
  bar.stop()
  const sent = summary.created + summary.existing
  console.log(
    `\n${sent} loaded in ${summary.seconds.toFixed(1)} s (${(sent / summary.seconds).toFixed(0)} res/s): ` +
      `${summary.created} created, ${summary.existing} already there (unchanged or updated), ` +
      `${summary.resumed} skipped (done in an earlier run), ${summary.failed.length} failed`
  )
  for (const f of summary.failed.slice(0, 50))
    console.log(`  ${path.relative(process.cwd(), f.file)}:${f.line}  ${f.reason}`)
  if (summary.failed.length > 50) console.log(`  … and ${summary.failed.length - 50} more`)
  process.exitCode = summary.failed.length ? 1 : 0
} catch (err) {
  bar.stop()
  console.error(`\nstopped: ${(err as Error).message}`)
  console.error('Nothing is half-loaded; run the same command again to resume.')
  process.exitCode = 1
}

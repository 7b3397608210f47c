// `npm run test:load`: a real `wrangler dev` on loopback with fresh local D1/KV, a client with an
// allow policy, a few seeded Patients, then a mixed workload (workload.ts) at LOAD_CONCURRENCY
// connections (default 50) for LOAD_SECONDS (default 60), then the checks of verify.ts. Prints
// requests/s and p50/p95 latency per kind; exits 1 on any error (5xx, network error, unexpected
// status) or violation (an acknowledged write not readable at its version, a history with gaps).
// LOAD_SEED fixes the mix (default 1). Not part of `npm test`.

import { randomUUID } from 'node:crypto'
import { basicHeader, startIsolatedDev } from '../local.ts'
import { figures } from './record.ts'
import { verify } from './verify.ts'
import { patientBody, runWorkload } from './workload.ts'

const concurrency = Number(process.env.LOAD_CONCURRENCY ?? 50)
const seconds = Number(process.env.LOAD_SECONDS ?? 60)
const seed = Number(process.env.LOAD_SEED ?? 1)
const patients = 40

const root = { id: 'load-root', secret: randomUUID() }
const rootAuth = basicHeader(root.id, root.secret)
const client = { id: 'load-client', secret: randomUUID() }
const auth = basicHeader(client.id, client.secret)

async function put(url: string, path: string, body: unknown): Promise<Response> {
  const res = await fetch(`${url}${path}`, {
    method: 'PUT',
    headers: { authorization: rootAuth, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  if (res.status !== 200 && res.status !== 201) {
    throw new Error(`set-up PUT ${path}: ${res.status} ${await res.text()}`)
  }
  return res
}

console.log(`starting wrangler dev (fresh local D1 and KV)…`)
const server = await startIsolatedDev(root)
let failed = true
try {
  await put(server.url, `/Client/${client.id}`, {
    secret: client.secret,
    grant_types: ['basic'],
  })
  await put(server.url, `/AccessPolicy/${client.id}-allow`, {
    engine: 'allow',
    link: [{ reference: `Client/${client.id}` }],
  })
  for (let i = 0; i < patients; i++) {
    await put(server.url, `/fhir/Patient/lt-pt-${i}`, patientBody(`lt-pt-${i}`, i))
  }

  console.log(`load: ${concurrency} connections for ${seconds} s against ${server.url}`)
  const result = await runWorkload({
    url: server.url,
    authorization: auth,
    concurrency,
    seconds,
    seed,
    patients,
  })
  console.log(`\n${figures(result.samples, result.seconds)}\n`)

  console.log(`verifying ${result.acks.length} acknowledged writes…`)
  const started = performance.now()
  const check = await verify(server.url, auth, result.acks, concurrency)
  console.log(
    `checked ${check.checked.vreads} vreads and ${check.checked.histories} histories in ` +
      `${((performance.now() - started) / 1000).toFixed(1)} s`
  )
  for (const problem of check.knownOpen) console.log(`known open: ${problem}`)

  const show = (title: string, list: string[]) => {
    if (!list.length) return
    console.log(`\n${title} (${list.length}):`)
    for (const line of list.slice(0, 20)) console.log(`  ${line}`)
    if (list.length > 20) console.log(`  … and ${list.length - 20} more`)
  }
  show('errors', result.errors)
  show('violations', check.violations)
  failed = result.errors.length > 0 || check.violations.length > 0
  console.log(
    failed
      ? `\nFAILED: ${result.errors.length} errors, ${check.violations.length} violations`
      : `\nOK: 0 errors, 0 violations`
  )
} finally {
  await server.stop()
}
process.exit(failed ? 1 : 0)

// AccessPolicy cost (issue 5): the latency a 3-rule `matcho` policy adds to an allowed request,
// against an `allow` policy, in one run. Both clients read the same Patient by id, interleaved in a
// random order per iteration so drift hits both arms alike; the figure to read is the difference
// (p50 of each arm, mean of each arm, and the median of the paired per-iteration differences).
// Target: under 0.2 ms per request. The root client (no policy evaluated) is shown for reference.

import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { Hono } from 'hono'
import { expectStatus, summarize, type BenchCase } from '../harness.ts'
import { basicHeader, ROOT } from '../../local.ts'

const N = Number(process.env.BENCH_POLICY_N ?? 4000)
const WARMUP = 200

/** The matcho policy measured: method, resource type and a uri regex (3 rules). */
const MATCHO = {
  'request-method': 'get',
  params: { 'resource/type': { $enum: ['Patient', 'Observation'] } },
  uri: '#^/fhir/(Patient|Observation)/[^/]+$',
}

const benchCase: BenchCase = {
  name: 'AccessPolicy: 3-rule matcho vs allow (GET /fhir/Patient/:id)',
  async run({ fetch, rootAuth, report }) {
    const json = { 'content-type': 'application/fhir+json' }
    const put = (path: string, body: unknown, status = 201) =>
      expectStatus(
        fetch(path, {
          method: 'PUT',
          headers: { authorization: rootAuth, ...json },
          body: JSON.stringify(body),
        }),
        status
      )
    await put('/fhir/Patient/bench-pt', {
      resourceType: 'Patient',
      id: 'bench-pt',
      name: [{ family: 'Bench' }],
    })
    const arms: Record<string, string> = {}
    for (const [name, policy] of [
      ['allow', { engine: 'allow' }],
      ['matcho', { engine: 'matcho', matcho: MATCHO }],
    ] as const) {
      await put(`/Client/bench-${name}`, { secret: `bench-${name}-secret`, grant_types: ['basic'] })
      await put(`/AccessPolicy/bench-${name}`, {
        ...policy,
        link: [{ reference: `Client/bench-${name}` }],
      })
      arms[name] = basicHeader(`bench-${name}`, `bench-${name}-secret`)
    }
    const read = (authorization: string) =>
      expectStatus(fetch('/fhir/Patient/bench-pt', { headers: { authorization } }), 200).then((r) =>
        r.text()
      )
    const timed = async (authorization: string) => {
      const start = performance.now()
      await read(authorization)
      return performance.now() - start
    }
    for (let i = 0; i < WARMUP; i++) {
      await read(arms.allow!)
      await read(arms.matcho!)
      await read(rootAuth)
    }
    const samples = { allow: [] as number[], matcho: [] as number[], root: [] as number[] }
    const paired: number[] = []
    for (let i = 0; i < N; i++) {
      // Random order per iteration: neither arm always runs first.
      const order =
        Math.random() < 0.5 ? (['allow', 'matcho'] as const) : (['matcho', 'allow'] as const)
      const t: Record<string, number> = {}
      for (const arm of order) t[arm] = await timed(arms[arm]!)
      samples.allow.push(t.allow!)
      samples.matcho.push(t.matcho!)
      paired.push(t.matcho! - t.allow!)
      if (i % 4 === 0) samples.root.push(await timed(rootAuth))
    }
    const sort = (xs: number[]) => [...xs].sort((a, b) => a - b)
    const allow = summarize('client with allow policy', sort(samples.allow))
    const matcho = summarize('client with 3-rule matcho policy', sort(samples.matcho))
    report(summarize('root client (no policy evaluated)', sort(samples.root)))
    report(allow)
    report(matcho)
    const diff = sort(paired)
    const median = diff[Math.floor(diff.length / 2)]!
    const note =
      `p50 diff ${(matcho.p50 - allow.p50).toFixed(3)} ms, mean diff ${(matcho.mean - allow.mean).toFixed(3)} ms, ` +
      `median paired diff ${median.toFixed(3)} ms (target < 0.2 ms)`
    report({ ...summarize('matcho - allow (paired, per request)', diff), note })
    report(await inProcess())
  },
}

/**
 * The policy stage alone, in this Node process (V8, as workerd): building the request object of a
 * GET /fhir/Patient/:id and evaluating the 3-rule matcho policy on it, timed in batches of 1000.
 * The modules are imported by URL so that scripts/tsconfig.json does not type-check Worker code.
 */
async function inProcess() {
  const load = (file: string) => import(pathToFileURL(path.join(ROOT, file)).href)
  const { partsOf, policyRequest } = await load('src/policy/request.ts')
  const { compilePolicy, evaluatePolicy } = await load('src/policy/engines/index.ts')
  const compiled = compilePolicy({ engine: 'matcho', matcho: MATCHO })
  const principal = {
    kind: 'client',
    id: 'bench',
    client: { resourceType: 'Client', id: 'bench', grant_types: ['basic'] },
  }
  const batches: number[] = []
  const app = new Hono()
  app.get('/fhir/:type/:id', async (c) => {
    c.set('principal' as never, principal as never)
    for (let batch = 0; batch < 220; batch++) {
      const start = performance.now()
      for (let i = 0; i < 1000; i++) {
        const request = policyRequest(c, 'FhirRead', await partsOf(c))
        if (!(await evaluatePolicy(compiled, request)))
          throw new Error('the bench policy must allow')
      }
      if (batch >= 20) batches.push((performance.now() - start) / 1000)
    }
    return c.text('ok')
  })
  const headers = {
    authorization: 'Basic x',
    accept: 'application/fhir+json',
    'user-agent': 'bench',
  }
  await app.request('http://bench.local/fhir/Patient/bench-pt', { headers })
  const line = summarize(
    'in-process: request object + 3-rule matcho',
    batches.sort((a, b) => a - b)
  )
  const us = (ms: number) => `${(ms * 1000).toFixed(1)} µs`
  return {
    ...line,
    note: `per request: p50 ${us(line.p50)}, p95 ${us(line.p95)}, mean ${us(line.mean)} (1000-call batches)`,
  }
}
export default benchCase

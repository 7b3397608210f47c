// Benchmark harness: the Worker bundle (from `wrangler deploy --dry-run`) in Miniflare's Node API with
// in-memory KV and D1 (no `wrangler dev` proxy in the way), migrations applied, a root client, and
// helpers to time requests. Figures are for comparing shapes within one run, not absolute SLAs.

import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { convertV4MiniflareOptions, Miniflare } from 'miniflare'
import { readD1Migrations } from '@cloudflare/vitest-plugin'
import { ROOT, wranglerEnv } from '../local.ts'

export const BENCH_ROOT = { id: 'bench-root', secret: 'bench-root-secret-0123456789abcdef' }
export const ORIGIN = 'http://bench.local'

export interface BenchContext {
  mf: Miniflare
  /** A request to the Worker; `path` starts with '/'. */
  fetch(path: string, init?: RequestInit): Promise<Response>
  rootAuth: string
  /** Prints one result line and keeps it for the summary. */
  report(line: BenchLine): void
}

export interface BenchLine {
  case: string
  n: number
  p50: number
  p95: number
  mean: number
  note?: string
}

export interface BenchCase {
  name: string
  run(ctx: BenchContext): Promise<void>
}

export function buildWorker(outdir = path.join(ROOT, '.bench', 'build')): string {
  const result = spawnSync(
    path.join(ROOT, 'node_modules', '.bin', 'wrangler'),
    ['deploy', '--dry-run', '--outdir', outdir],
    { cwd: ROOT, env: wranglerEnv(), encoding: 'utf8' }
  )
  if (result.status !== 0) throw new Error(`bundling failed:\n${result.stdout}${result.stderr}`)
  return path.join(outdir, 'index.js')
}

export async function startWorker(scriptPath: string, vars: Record<string, string> = {}): Promise<Miniflare> {
  // Miniflare 5 takes a new options shape; the classic (v4) one is converted.
  const mf = new Miniflare(convertV4MiniflareOptions({
    modules: true,
    scriptPath,
    compatibilityDate: '2026-11-01',
    kvNamespaces: ['AUTH'],
    d1Databases: ['DB'],
    bindings: {
      ROOT_CLIENT_ID: BENCH_ROOT.id,
      ROOT_CLIENT_SECRET: BENCH_ROOT.secret,
      BASE_URL: '',
      AUTH_CACHE_TTL_SECONDS: '60',
      ...vars,
    },
  }))
  const db = await mf.getD1Database('DB')
  for (const migration of await readD1Migrations(path.join(ROOT, 'migrations'))) {
    for (const query of migration.queries) await db.prepare(query).run()
  }
  return mf
}

/** Runs `fn` `n` times after `warmup` runs; returns per-call latencies in ms (sorted). */
export async function time(n: number, fn: (i: number) => Promise<unknown>, warmup = Math.min(50, n)): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn(i)
  const samples: number[] = []
  for (let i = 0; i < n; i++) {
    const start = performance.now()
    await fn(i)
    samples.push(performance.now() - start)
  }
  return samples.sort((a, b) => a - b)
}

export function summarize(name: string, samples: number[], note?: string): BenchLine {
  const pick = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length
  return { case: name, n: samples.length, p50: pick(0.5), p95: pick(0.95), mean, note }
}

/** Fails the benchmark loudly when a request does not answer what it should. */
export async function expectStatus(res: Response | Promise<Response>, status: number): Promise<Response> {
  const r = await res
  if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${await r.text()}`)
  return r
}

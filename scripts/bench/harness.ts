// Benchmark harness: the Worker bundle (from `wrangler deploy --dry-run`) in Miniflare's Node API with
// in-memory KV and D1 (no `wrangler dev` proxy in the way), migrations applied, a root client, and
// helpers to time requests. Figures are for comparing shapes within one run, not absolute SLAs.

import type { Miniflare } from 'miniflare'
import { buildWorker, startWorker, WORKER_ROOT, WORKER_ORIGIN } from '../miniflare.ts'

export { buildWorker, startWorker }
export const BENCH_ROOT = WORKER_ROOT
export const ORIGIN = WORKER_ORIGIN

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

/** Runs `fn` `n` times after `warmup` runs; returns per-call latencies in ms (sorted). */
export async function time(
  n: number,
  fn: (i: number) => Promise<unknown>,
  warmup = Math.min(50, n)
): Promise<number[]> {
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
export async function expectStatus(
  res: Response | Promise<Response>,
  status: number
): Promise<Response> {
  const r = await res
  if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${await r.text()}`)
  return r
}

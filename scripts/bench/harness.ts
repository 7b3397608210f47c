// Benchmark harness: the Worker bundle (from `wrangler deploy --dry-run`) in Miniflare's Node API with
// in-memory KV and D1 (no `wrangler dev` proxy in the way), migrations applied, a root client, and
// helpers to time requests. Figures are for comparing shapes within one run, not absolute SLAs.

import { readdirSync, readFileSync } from 'node:fs'
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
  /** CPU ms per request of the workerd processes this run started (Linux /proc); undefined elsewhere. */
  cpu?: number
  note?: string
}

/** Latencies in ms, sorted, with the CPU ms per call the Worker spent meanwhile (when known). */
export type Samples = number[] & { cpuPerCall?: number }

/** Linux clock ticks per second (USER_HZ; 100 on every distribution we run on). */
const TICKS_PER_SECOND = 100

/**
 * CPU time (ms) the workerd processes started by this Node process have used so far: utime + stime of
 * /proc/<pid>/stat for every child whose command is workerd. Undefined off Linux.
 */
function workerdCpuMs(): number | undefined {
  let pids: string[]
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p))
  } catch {
    return undefined
  }
  let ticks = 0
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ')
      if (Number(fields[1]) !== process.pid || !stat.includes('(workerd)')) continue
      ticks += Number(fields[11]) + Number(fields[12])
    } catch {
      // the process ended meanwhile
    }
  }
  return (ticks * 1000) / TICKS_PER_SECOND
}

export interface BenchCase {
  name: string
  run(ctx: BenchContext): Promise<void>
}

/**
 * Runs `fn` `n` times after `warmup` runs; returns per-call latencies in ms (sorted) and the Worker's
 * CPU ms per call over the timed runs.
 */
export async function time(
  n: number,
  fn: (i: number) => Promise<unknown>,
  warmup = Math.min(50, n)
): Promise<Samples> {
  for (let i = 0; i < warmup; i++) await fn(i)
  const samples: Samples = []
  const cpuBefore = workerdCpuMs()
  for (let i = 0; i < n; i++) {
    const start = performance.now()
    await fn(i)
    samples.push(performance.now() - start)
  }
  const cpuAfter = workerdCpuMs()
  samples.sort((a, b) => a - b)
  if (cpuBefore !== undefined && cpuAfter !== undefined)
    samples.cpuPerCall = (cpuAfter - cpuBefore) / n
  return samples
}

export function summarize(name: string, samples: Samples, note?: string): BenchLine {
  const pick = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length
  return {
    case: name,
    n: samples.length,
    p50: pick(0.5),
    p95: pick(0.95),
    mean,
    cpu: samples.cpuPerCall,
    note,
  }
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

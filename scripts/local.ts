// Local environment steps shared by `npm start`, the end-to-end tests and the benchmarks:
// .dev.vars, local D1 migrations, the KV seed, a `wrangler dev` child process, and the FHIR seed
// loaded through the API by the bulk loader (PUT by id, so loading twice changes nothing).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { load, type LoadSummary } from './load/loader.ts'
import { inputFiles } from './load/ndjson.ts'
import { signingKeySet } from './signing-key.ts'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const WRANGLER = path.join(ROOT, 'node_modules', '.bin', 'wrangler')
const NODE_BIN = path.join(ROOT, 'node_modules', '.bin')

/** Environment for wrangler: Node 22 from node_modules first on PATH, no metrics. */
export function wranglerEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PATH: `${NODE_BIN}${path.delimiter}${process.env.PATH ?? ''}`,
    WRANGLER_SEND_METRICS: 'false',
  }
}

function wrangler(args: string[], quiet = false): void {
  const result = spawnSync(WRANGLER, args, {
    cwd: ROOT,
    env: wranglerEnv(),
    stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    encoding: 'utf8',
  })
  if (result.status !== 0) {
    if (quiet) process.stderr.write(`${result.stdout ?? ''}${result.stderr ?? ''}`)
    throw new Error(`wrangler ${args.slice(0, 3).join(' ')} failed (exit ${result.status})`)
  }
}

/**
 * Creates .dev.vars from .dev.vars.example when it is missing, and gives it a dev token signing key
 * when it has none; returns the root credentials.
 */
export async function ensureDevVars(): Promise<{ id: string; secret: string }> {
  const file = path.join(ROOT, '.dev.vars')
  if (!existsSync(file)) {
    copyFileSync(path.join(ROOT, '.dev.vars.example'), file)
    console.log('created .dev.vars from .dev.vars.example (dev-only root credentials)')
  }
  const lines = readFileSync(file, 'utf8').split('\n')
  const at = lines.findIndex((line) => line.startsWith('TOKEN_SIGNING_KEYS='))
  if (at < 0 || lines[at]!.trim() === 'TOKEN_SIGNING_KEYS=') {
    const line = `TOKEN_SIGNING_KEYS=${await signingKeySet()}`
    if (at < 0) lines.splice(lines.length - (lines.at(-1) === '' ? 1 : 0), 0, line)
    else lines[at] = line
    writeFileSync(file, lines.join('\n'))
    console.log('generated a dev token signing key into .dev.vars (TOKEN_SIGNING_KEYS)')
  }
  return readRootCredentials(file)
}

export function readRootCredentials(file: string): { id: string; secret: string } {
  const vars = Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1).trim()])
  )
  if (!vars.ROOT_CLIENT_ID || !vars.ROOT_CLIENT_SECRET) {
    throw new Error(`${file} must set ROOT_CLIENT_ID and ROOT_CLIENT_SECRET`)
  }
  return { id: vars.ROOT_CLIENT_ID, secret: vars.ROOT_CLIENT_SECRET }
}

const persistArgs = (persistTo?: string) => (persistTo ? ['--persist-to', persistTo] : [])

export function applyMigrations(persistTo?: string, quiet = false): void {
  wrangler(['d1', 'migrations', 'apply', 'DB', '--local', ...persistArgs(persistTo)], quiet)
}

/** Writes seed/kv.json (demo Client with a hashed secret, and its AccessPolicy) into local KV. */
export function seedKv(persistTo?: string, quiet = false): void {
  wrangler(
    [
      'kv',
      'bulk',
      'put',
      'seed/kv.json',
      '--binding',
      'AUTH',
      '--local',
      ...persistArgs(persistTo),
    ],
    quiet
  )
}

export interface DevServer {
  child: ChildProcess
  url: string
  stop(): Promise<void>
}

/** Starts `wrangler dev` and resolves once /health answers. */
export async function startDev(options: {
  port: number
  persistTo?: string
  inherit?: boolean
  vars?: Record<string, string>
}): Promise<DevServer> {
  const args = [
    'dev',
    '--port',
    String(options.port),
    '--ip',
    '127.0.0.1',
    ...persistArgs(options.persistTo),
  ]
  for (const [key, value] of Object.entries(options.vars ?? {}))
    args.push('--var', `${key}:${value}`)
  const child = spawn(WRANGLER, args, {
    cwd: ROOT,
    env: wranglerEnv(),
    stdio: options.inherit ? ['inherit', 'inherit', 'inherit'] : ['ignore', 'pipe', 'pipe'],
    detached: !options.inherit,
  })
  let output = ''
  child.stdout?.on('data', (d) => (output += d))
  child.stderr?.on('data', (d) => (output += d))
  const url = `http://127.0.0.1:${options.port}`
  const stop = async () => {
    if (child.exitCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    try {
      if (options.inherit) child.kill('SIGINT')
      else process.kill(-child.pid!, 'SIGTERM')
    } catch {
      // already gone
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))])
  }
  const deadline = Date.now() + 90_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited early:\n${output}`)
    try {
      const res = await fetch(`${url}/health`)
      if (res.ok) return { child, url, stop }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`wrangler dev did not become healthy in 90 s:\n${output}`)
    }
    await new Promise((r) => setTimeout(r, 250))
  }
}

/**
 * A `wrangler dev` on a random port with its own fresh local D1/KV (a temporary persistence folder,
 * migrations applied) and the given root credentials; `stop()` also removes the folder. For tests.
 */
export async function startIsolatedDev(root: {
  id: string
  secret: string
}): Promise<DevServer & { persist: string }> {
  const persist = mkdtempSync(path.join(tmpdir(), 'edge-fhir-dev-'))
  try {
    applyMigrations(persist, true)
    const port = 18000 + Math.floor(Math.random() * 4000)
    const server = await startDev({
      port,
      persistTo: persist,
      vars: {
        ROOT_CLIENT_ID: root.id,
        ROOT_CLIENT_SECRET: root.secret,
        TOKEN_SIGNING_KEYS: await signingKeySet(),
      },
    })
    return {
      ...server,
      persist,
      stop: async () => {
        await server.stop()
        rmSync(persist, { recursive: true, force: true })
      },
    }
  } catch (err) {
    rmSync(persist, { recursive: true, force: true })
    throw err
  }
}

export function basicHeader(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${id}:${secret}`, 'utf8').toString('base64')}`
}

/** Every resource of the shipped FHIR seed (seed/fhir/*.ndjson), referenced types first. */
export function seedResources(): Record<string, unknown>[] {
  return inputFiles(path.join(ROOT, 'seed', 'fhir')).flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
  )
}

/** Loads the shipped FHIR seed (seed/fhir/*.ndjson) with the bulk loader; loading twice changes nothing. */
export async function seedFhir(
  url: string,
  root: { id: string; secret: string }
): Promise<LoadSummary> {
  const summary = await load({
    files: inputFiles(path.join(ROOT, 'seed', 'fhir')),
    url,
    authorization: basicHeader(root.id, root.secret),
  })
  if (summary.failed.length) {
    throw new Error(
      `seeding failed: ${summary.failed.map((f) => `${f.file}:${f.line} ${f.reason}`).join('; ')}`
    )
  }
  return summary
}

// The NDJSON loader (npm run seed) against the real Worker in Miniflare: transaction Bundles,
// idempotence (loading twice changes nothing), bad lines reported with their line numbers, and resume.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { basicHeader, ROOT } from '../../scripts/local.ts'
import { buildWorker, startWorker, WORKER_ORIGIN, WORKER_ROOT } from '../../scripts/miniflare.ts'
import { Checkpoint } from '../../scripts/load/checkpoint.ts'
import { load } from '../../scripts/load/loader.ts'
import { inputFiles } from '../../scripts/load/ndjson.ts'

let dir: string
let script: string
const authorization = basicHeader(WORKER_ROOT.id, WORKER_ROOT.secret)

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'edge-fhir-load-'))
  script = buildWorker(path.join(dir, 'build'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function withWorker<T>(
  fn: (mf: Miniflare, fetchFn: (url: string, init: RequestInit) => Promise<Response>) => Promise<T>
): Promise<T> {
  const mf = await startWorker(script)
  try {
    return await fn(
      mf,
      (url, init) => mf.dispatchFetch(url, init as never) as unknown as Promise<Response>
    )
  } finally {
    await mf.dispose()
  }
}

async function count(mf: Miniflare, sql: string): Promise<number> {
  const db = await mf.getD1Database('DB')
  return (await db.prepare(sql).first<{ n: number }>())!.n
}

describe('npm run seed (scripts/load)', () => {
  it('loads the shipped seed, and loading it again creates no resource and no version', async () => {
    await withWorker(async (mf, fetchFn) => {
      const files = inputFiles(path.join(ROOT, 'seed', 'fhir'))
      const first = await load({
        files,
        url: WORKER_ORIGIN,
        authorization,
        fetch: fetchFn,
        chunkSize: 100,
      })
      expect(first.failed).toEqual([])
      expect(first.created).toBe(574)
      expect(await count(mf, 'SELECT count(*) AS n FROM resource')).toBe(574)
      const second = await load({
        files,
        url: WORKER_ORIGIN,
        authorization,
        fetch: fetchFn,
        chunkSize: 100,
      })
      expect(second).toMatchObject({ created: 0, existing: 574, failed: [] })
      expect(await count(mf, 'SELECT count(*) AS n FROM resource_history')).toBe(574)
      const search = await fetchFn(
        `${WORKER_ORIGIN}/fhir/Observation?code=http://loinc.org|4548-4&_count=2`,
        {
          headers: { authorization },
        }
      )
      expect(((await search.json()) as { entry: unknown[] }).entry).toHaveLength(2)
    })
  })

  it('reports bad lines with their line numbers and reasons, and loads every good line', async () => {
    const file = path.join(dir, 'mixed.ndjson')
    const patient = (id: string) =>
      JSON.stringify({ resourceType: 'Patient', id, name: [{ family: id }] })
    writeFileSync(
      file,
      [
        patient('good-1'),
        '{"resourceType": "Patient", "id": ',
        JSON.stringify({ resourceType: 'Patient', name: [{ family: 'no id' }] }),
        JSON.stringify({ resourceType: 'Spaceship', id: 'enterprise' }),
        '',
        patient('good-2'),
        JSON.stringify({ resourceType: 'Patient', id: 'bad_id!' }),
        patient('good-3'),
      ].join('\n') + '\n'
    )
    await withWorker(async (mf, fetchFn) => {
      const summary = await load({
        files: [file],
        url: WORKER_ORIGIN,
        authorization,
        fetch: fetchFn,
      })
      expect(summary.created).toBe(3)
      expect(summary.failed.map((f) => f.line)).toEqual([2, 3, 4, 7])
      expect(summary.failed.find((f) => f.line === 2)!.reason).toMatch(/not JSON/)
      expect(summary.failed.find((f) => f.line === 3)!.reason).toMatch(/id/)
      expect(summary.failed.find((f) => f.line === 4)!.reason).toMatch(/^404: .*Spaceship/)
      expect(await count(mf, "SELECT count(*) AS n FROM resource WHERE type = 'Patient'")).toBe(3)
    })
  })

  it('resumes after an interruption from the checkpoint, loading every resource exactly once', async () => {
    const files = inputFiles(path.join(ROOT, 'seed', 'fhir'))
    const checkpointFile = path.join(dir, 'checkpoint.json')
    await withWorker(async (mf, fetchFn) => {
      let calls = 0
      const flaky = (url: string, init: RequestInit) => {
        if (++calls > 3) return Promise.reject(new Error('connection reset'))
        return fetchFn(url, init)
      }
      await expect(
        load({
          files,
          url: WORKER_ORIGIN,
          authorization,
          fetch: flaky,
          chunkSize: 50,
          concurrency: 1,
          checkpoint: new Checkpoint(checkpointFile, WORKER_ORIGIN),
        })
      ).rejects.toThrow(/resume/)
      const loadedBefore = await count(mf, 'SELECT count(*) AS n FROM resource')
      // three chunks went through: Practitioner (3 lines), Patient (10), the first 50 Encounters
      expect(loadedBefore).toBe(63)
      const resumed = await load({
        files,
        url: WORKER_ORIGIN,
        authorization,
        fetch: fetchFn,
        chunkSize: 50,
        checkpoint: new Checkpoint(checkpointFile, WORKER_ORIGIN),
      })
      expect(resumed.resumed).toBe(63)
      expect(resumed.created).toBe(574 - 63)
      expect(resumed.existing).toBe(0)
      expect(await count(mf, 'SELECT count(*) AS n FROM resource')).toBe(574)
      expect(await count(mf, 'SELECT count(*) AS n FROM resource_history')).toBe(574)
    })
  })
})

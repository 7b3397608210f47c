// Search latency for the main query shapes (docs/search.md) at ~10k and ~100k resources: the same
// queries on the same target resources before and after 10x more data. Data comes from the seed
// generator and goes straight into D1 with db.batch() INSERTs, rows from the Worker's own extractor
// (src/fhir/index/extract.ts), so index rows are exactly what the API would write; only the HTTP
// path is skipped while loading. BENCH_SEARCH_PATIENTS=a,b overrides the patient counts.

import { extractIndexRows } from '../../../src/fhir/index/extract.ts'
import { INDEX_KINDS, INDEX_TABLES, type IndexKind } from '../../../src/fhir/index/tables.ts'
import { parseSearch } from '../../../src/fhir/search/parse.ts'
import { pageQuery } from '../../../src/fhir/search/plan.ts'
import { presentList } from '../../../src/fhir/storage/index-rows.ts'
import { generateResources } from '../../seed/generate.ts'
import type { FhirResource } from '../../seed/types.ts'
import {
  expectStatus,
  summarize,
  time,
  type BenchCase,
  type BenchContext,
  type BenchLine,
} from '../harness.ts'

type D1Database = Awaited<ReturnType<BenchContext['mf']['getD1Database']>>

const CHUNK = 250
const BASE_TIME = Date.UTC(2026, 0, 1)

interface Loader {
  pk: number
  count: number
  ids: Map<string, FhirResource[]>
}

async function loadChunk(db: D1Database, chunk: FhirResource[], loader: Loader): Promise<void> {
  const resources: unknown[][] = []
  const index = new Map<IndexKind, unknown[][]>()
  for (const r of chunk) {
    const pk = ++loader.pk
    const lastUpdated = BASE_TIME + pk
    const { resourceType, id, ...rest } = r
    const body = {
      resourceType,
      id,
      meta: { versionId: '1', lastUpdated: new Date(lastUpdated).toISOString() },
      ...rest,
    }
    const rows = extractIndexRows(body)
    resources.push([pk, resourceType, id, lastUpdated, JSON.stringify(body), presentList(rows)])
    for (const kind of INDEX_KINDS) {
      const cols: readonly string[] = INDEX_TABLES[kind].columns
      const list = index.get(kind) ?? []
      for (const row of rows[kind] as unknown as Record<string, unknown>[])
        list.push([row.sp, ...cols.map((c) => row[c]), pk])
      index.set(kind, list)
    }
  }
  const json = JSON.stringify(resources)
  const statements = [
    db
      .prepare(
        'INSERT INTO resource (pk, type, id, version, last_updated, deleted, body, present) ' +
          'SELECT value->>0, value->>1, value->>2, 1, value->>3, 0, value->>4, value->>5 FROM json_each(?1)'
      )
      .bind(json),
    db
      .prepare(
        'INSERT INTO resource_history (pk, version, type, id, last_updated, method, body) ' +
          "SELECT value->>0, 1, value->>1, value->>2, value->>3, 'PUT', value->>4 FROM json_each(?1)"
      )
      .bind(json),
  ]
  for (const [kind, list] of index) {
    if (!list.length) continue
    const { name: table, columns: cols } = INDEX_TABLES[kind]
    const picks = ['sp', ...cols, 'pk'].map((_, i) => `value->>${i}`).join(', ')
    statements.push(
      db
        .prepare(
          `INSERT OR IGNORE INTO ${table} (sp, ${cols.join(', ')}, pk) SELECT ${picks} FROM json_each(?1)`
        )
        .bind(JSON.stringify(list))
    )
  }
  await db.batch(statements)
  loader.count += chunk.length
}

async function load(
  db: D1Database,
  patients: number,
  seed: number,
  loader: Loader
): Promise<number> {
  const started = performance.now()
  let chunk: FhirResource[] = []
  for (const r of generateResources({ patients, seed })) {
    const list = loader.ids.get(r.resourceType) ?? []
    if (list.length < 50) list.push(r)
    loader.ids.set(r.resourceType, list)
    chunk.push(r)
    if (chunk.length === CHUNK) {
      await loadChunk(db, chunk, loader)
      chunk = []
    }
  }
  if (chunk.length) await loadChunk(db, chunk, loader)
  await db
    .prepare('PRAGMA optimize')
    .run()
    .catch(() => undefined)
  return (performance.now() - started) / 1000
}

interface Shape {
  name: string
  path: string
  /** Follow the first page's next link and time that request instead. */
  nextPage?: boolean
}

function shapes(ids: Map<string, FhirResource[]>): Shape[] {
  const patient = ids.get('Patient')![3]! as FhirResource & { name: { family: string }[] }
  const family = patient.name[0]!.family
  return [
    {
      name: 'token code (seed page: code=4548-4)',
      path: '/fhir/Observation?code=4548-4&_count=20',
    },
    {
      name: 'token system|code',
      path: `/fhir/Observation?code=${encodeURIComponent('http://loinc.org|8867-4')}`,
    },
    {
      name: 'reference subject=Patient/id',
      path: `/fhir/Observation?subject=Patient/${patient.id}`,
    },
    {
      name: 'reference + date range',
      path: `/fhir/Observation?patient=${patient.id}&date=ge2015-01-01`,
    },
    {
      name: 'date range (one month)',
      path: '/fhir/Observation?date=ge2015-03-01&date=lt2015-04-01',
    },
    { name: 'date ge (open-ended)', path: '/fhir/Observation?date=ge2020-01-01' },
    {
      name: 'string prefix name',
      path: `/fhir/Patient?name=${encodeURIComponent(family.slice(0, 3))}`,
    },
    {
      name: 'chain subject:Patient.name',
      path: `/fhir/Observation?subject:Patient.name=${encodeURIComponent(family)}`,
    },
    { name: '_has Observation code', path: '/fhir/Patient?_has:Observation:subject:code=4548-4' },
    { name: 'sort -date, token filter', path: '/fhir/Observation?code=8867-4&_sort=-date' },
    {
      name: 'sort -date, next page',
      path: '/fhir/Observation?code=8867-4&_sort=-date',
      nextPage: true,
    },
    {
      name: 'token + _include subject',
      path: '/fhir/Observation?code=4548-4&_include=Observation:subject',
    },
    { name: 'token _total=accurate', path: '/fhir/Observation?code=4548-4&_total=accurate' },
    // Lists of OR-ed values (docs/search.md "Limits"): one json_each-driven seek per value.
    {
      name: 'token list of 50 codes',
      path: `/fhir/Observation?code=${['4548-4', '8867-4', ...Array.from({ length: 48 }, (_, i) => `x${i}`)].join(',')}`,
    },
    { name: 'quantity 1,2,3', path: '/fhir/Observation?value-quantity=1,2,3' },
    {
      name: 'string list of 6 names',
      path: `/fhir/Patient?name=a,b,c,d,e,${encodeURIComponent(family.slice(0, 3))}`,
    },
    { name: 'date list of 6 years', path: '/fhir/Observation?date=2010,2011,2012,2013,2014,2015' },
  ]
}

/** Rows D1 reads for the page statement of `path` (the count and include statements not included). */
async function rowsRead(db: D1Database, path: string): Promise<number> {
  const url = new URL(path, 'http://bench.local')
  const type = url.pathname.split('/')[2]!
  const request = parseSearch(type, url.searchParams)
  const q = pageQuery(request, request.cursor, request.count + 1)
  const result = await db
    .prepare(q.sql)
    .bind(...q.params)
    .all()
  return result.meta.rows_read
}

/** The path to time: the shape's, or its first page's next link. */
async function resolvePath(ctx: BenchContext, shape: Shape): Promise<string> {
  if (!shape.nextPage) return shape.path
  const res = await expectStatus(
    ctx.fetch(shape.path, { headers: { authorization: ctx.rootAuth } }),
    200
  )
  const first = (await res.json()) as { link: { relation: string; url: string }[] }
  const next = first.link.find((l) => l.relation === 'next')
  if (!next) throw new Error(`no next link for ${shape.path}`)
  return next.url.replace(/^https?:\/\/[^/]+/, '')
}

async function measure(
  ctx: BenchContext,
  label: string,
  list: Shape[],
  n: number
): Promise<BenchLine[]> {
  const auth = { authorization: ctx.rootAuth }
  const db = await ctx.mf.getD1Database('DB')
  const lines: BenchLine[] = []
  const paths = await Promise.all(list.map((shape) => resolvePath(ctx, shape)))
  // Warm the isolate and D1's page cache on every shape first, so the first lines are not penalised.
  for (const path of paths)
    await time(
      50,
      () => expectStatus(ctx.fetch(path, { headers: auth }), 200).then((r) => r.arrayBuffer()),
      0
    )
  for (const [i, shape] of list.entries()) {
    const path = paths[i]!
    const res = await expectStatus(ctx.fetch(path, { headers: auth }), 200)
    const bundle = (await res.json()) as { entry?: unknown[] }
    const samples = await time(
      n,
      () => expectStatus(ctx.fetch(path, { headers: auth }), 200).then((r) => r.arrayBuffer()),
      20
    )
    const read = await rowsRead(db, path)
    const line = summarize(
      `${label} ${shape.name}`,
      samples,
      `${bundle.entry?.length ?? 0} entries, ${read} rows read`
    )
    ctx.report(line)
    lines.push(line)
  }
  return lines
}

const benchCase: BenchCase = {
  name: 'search shapes at ~10k and ~100k resources',
  async run(ctx) {
    const [small, large] = (process.env.BENCH_SEARCH_PATIENTS ?? '225,2050')
      .split(',')
      .map(Number) as [number, number]
    const db = await ctx.mf.getD1Database('DB')
    const loader: Loader = { pk: 0, count: 0, ids: new Map() }
    const t1 = await load(db, small, 42, loader)
    console.log(`loaded ${loader.count} resources in ${t1.toFixed(1)} s`)
    const list = shapes(loader.ids)
    const before = await measure(ctx, `${Math.round(loader.count / 1000)}k`, list, 200)
    const smallCount = loader.count
    const t2 = await load(db, large, 4242, loader)
    console.log(
      `loaded ${loader.count - smallCount} more (${loader.count} resources) in ${t2.toFixed(1)} s`
    )
    const after = await measure(ctx, `${Math.round(loader.count / 1000)}k`, list, 200)
    console.log(
      `\np50 growth from ${smallCount} to ${loader.count} resources (x${(loader.count / smallCount).toFixed(1)} data):`
    )
    for (let i = 0; i < list.length; i++) {
      const ratio = after[i]!.p50 / before[i]!.p50
      console.log(
        `  ${list[i]!.name.padEnd(40)} ${before[i]!.p50.toFixed(2).padStart(7)} -> ${after[i]!.p50.toFixed(2).padStart(7)} ms  x${ratio.toFixed(2)}`
      )
    }
  },
}
export default benchCase

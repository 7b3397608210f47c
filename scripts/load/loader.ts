// The bulk loader: NDJSON lines -> FHIR transaction Bundles of PUT-by-id entries, several in flight.
// A transaction is all-or-nothing on the server, so nothing is ever half-loaded; a chunk the server
// refuses (4xx) is split in halves until the bad entries are isolated and reported, and the rest loads.
// PUT by id with unchanged content makes no new version, so loading twice changes nothing.

import type { Checkpoint } from './checkpoint.ts'
import { readLines, type InputLine } from './ndjson.ts'

type Fetch = (url: string, init: RequestInit) => Promise<Response>

export interface LoadOptions {
  files: string[]
  /** Server base URL (the FHIR API is at `${url}/fhir`). */
  url: string
  authorization: string
  fetch?: Fetch
  /** Entries per transaction Bundle (default 250). */
  chunkSize?: number
  /** Bundles in flight at once (default 4). */
  concurrency?: number
  checkpoint?: Checkpoint
  /** Called with the number of lines newly finished (loaded, skipped or failed). */
  onProgress?: (lines: number) => void
}

export interface Failure {
  file: string
  line: number
  reason: string
}

export interface LoadSummary {
  created: number
  existing: number
  /** Lines not sent again because the checkpoint says they were loaded. */
  resumed: number
  failed: Failure[]
  seconds: number
}

type Resource = NonNullable<InputLine['resource']>
interface Item {
  file: string
  line: number
  resource: Resource
}

export async function load(options: LoadOptions): Promise<LoadSummary> {
  const started = performance.now()
  const fetchFn: Fetch = options.fetch ?? ((url, init) => fetch(url, init))
  const chunkSize = options.chunkSize ?? 250
  const concurrency = options.concurrency ?? 4
  const summary: LoadSummary = { created: 0, existing: 0, resumed: 0, failed: [], seconds: 0 }
  const inFlight = new Set<Promise<void>>()
  let fatal: unknown

  const dispatch = async (file: string, items: Item[], bad: Failure[], lastLine: number) => {
    const ticket = options.checkpoint?.begin(file, lastLine)
    while (inFlight.size >= concurrency) await Promise.race(inFlight)
    if (fatal) throw fatal
    const task = (async () => {
      try {
        await sendItems(fetchFn, options, items, summary)
        summary.failed.push(...bad)
        if (ticket) options.checkpoint!.complete(ticket)
        options.onProgress?.(items.length + bad.length)
      } catch (err) {
        fatal ??= err
      }
    })()
    inFlight.add(task)
    void task.finally(() => inFlight.delete(task))
  }

  for (const file of options.files) {
    const skipThrough = options.checkpoint?.doneThrough(file) ?? 0
    let items: Item[] = []
    let bad: Failure[] = []
    let lastLine = skipThrough
    for await (const entry of readLines(file, skipThrough, () => summary.resumed++)) {
      lastLine = entry.line
      if (entry.resource) items.push({ file, line: entry.line, resource: entry.resource })
      else bad.push({ file, line: entry.line, reason: entry.error! })
      if (items.length + bad.length >= chunkSize) {
        await dispatch(file, items, bad, lastLine)
        items = []
        bad = []
      }
    }
    if (items.length || bad.length) await dispatch(file, items, bad, lastLine)
  }
  await Promise.all(inFlight)
  if (fatal) throw fatal
  summary.seconds = (performance.now() - started) / 1000
  summary.failed.sort(
    (a, b) => options.files.indexOf(a.file) - options.files.indexOf(b.file) || a.line - b.line
  )
  return summary
}

/** Sends items as one transaction; on a 4xx splits them to isolate the entries the server refuses. */
async function sendItems(
  fetchFn: Fetch,
  options: LoadOptions,
  items: Item[],
  summary: LoadSummary
): Promise<void> {
  if (items.length === 0) return
  const res = await postWithRetry(fetchFn, options, transaction(options.url, items))
  if (res.ok) {
    const bundle = (await res.json()) as { entry?: { response?: { status?: string } }[] }
    for (const entry of bundle.entry ?? []) {
      if (entry.response?.status?.startsWith('201')) summary.created++
      else summary.existing++
    }
    return
  }
  const reason = await describe(res)
  if (items.length === 1) {
    summary.failed.push({ file: items[0]!.file, line: items[0]!.line, reason })
    return
  }
  const half = Math.ceil(items.length / 2)
  await sendItems(fetchFn, options, items.slice(0, half), summary)
  await sendItems(fetchFn, options, items.slice(half), summary)
}

function transaction(url: string, items: Item[]): string {
  return JSON.stringify({
    resourceType: 'Bundle',
    type: 'transaction',
    entry: items.map(({ resource }) => ({
      fullUrl: `${url}/fhir/${resource.resourceType}/${resource.id}`,
      resource,
      request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` },
    })),
  })
}

/** POSTs a Bundle; retries network errors and 5xx/429 with backoff; answers the first other response. */
async function postWithRetry(
  fetchFn: Fetch,
  options: LoadOptions,
  body: string
): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    let res: Response | undefined
    let error: unknown
    try {
      res = await fetchFn(`${options.url}/fhir`, {
        method: 'POST',
        headers: {
          authorization: options.authorization,
          'content-type': 'application/fhir+json',
          accept: 'application/fhir+json',
        },
        body,
      })
    } catch (err) {
      error = err
    }
    if (res && res.status < 500 && res.status !== 429) return res
    if (attempt === 5) {
      throw new Error(
        `the server keeps failing (${res ? `${res.status} ${await describe(res)}` : String(error)}); run again to resume`
      )
    }
    await res?.body?.cancel()
    await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt))
  }
}

async function describe(res: Response): Promise<string> {
  const text = await res.text()
  try {
    const outcome = JSON.parse(text) as { issue?: { diagnostics?: string }[] }
    const diagnostics = outcome.issue
      ?.map((i) => i.diagnostics)
      .filter(Boolean)
      .join('; ')
    if (diagnostics) return `${res.status}: ${diagnostics}`
  } catch {
    // not JSON
  }
  return `${res.status}: ${text.slice(0, 200)}`
}

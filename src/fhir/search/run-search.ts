// Runs a search: the page (one statement, a second only where a sorted result crosses from resources
// with a sort value to those without), the capped count for _total in the same batch, then _include
// and _revinclude. Returns rows with their stored JSON text, which the Bundle splices in unparsed.

import { runIncludes } from './includes.ts'
import { asTooCostly, StatementTooLong } from './too-costly.ts'
import { D1_MAX_SQL_BYTES, TOTAL_CAP } from './limits.ts'
import { countQuery, isSegmented, pageQuery } from './plan.ts'
import type { Query, Segment } from './query-parts.ts'
import type { Cursor, SearchRequest } from './request.ts'
import type { SearchResult, SearchRow } from './search-result.ts'

type Raw = Record<string, unknown> & { pk: number; type: string; id: string; body: string }

function toRow(raw: Raw, keyCount: number): SearchRow {
  const keys: (string | number | null)[] = []
  for (let i = 0; i < keyCount; i++) keys.push((raw[`k${i}`] ?? null) as string | number | null)
  return { pk: raw.pk, type: raw.type, id: raw.id, body: raw.body, keys }
}

function statement(db: D1Database, q: Query): D1PreparedStatement {
  if (q.sql.length > D1_MAX_SQL_BYTES) throw new StatementTooLong()
  return db.prepare(q.sql).bind(...q.params)
}

/** The page rows in display order, and whether more rows follow in the direction read. */
async function readPage(
  db: D1Database,
  request: SearchRequest,
  countStmt?: D1PreparedStatement
): Promise<{ rows: SearchRow[]; more: boolean; total?: number }> {
  const { cursor, count } = request
  const keyCount = request.sort.length
  const segmented = request.sort.length > 0 && isSegmented(request)
  const segment: Segment = segmented && cursor?.keys[0] === null ? 'missing' : 'values'
  const first = statement(db, pageQuery(request, cursor, count + 1, segment))
  let raw: Raw[]
  let total: number | undefined
  if (countStmt) {
    // One round trip for the page and the count.
    const [page, counted] = await db.batch<Raw>([first, countStmt])
    raw = page!.results
    total = Number((counted!.results[0] as unknown as { n: number }).n)
  } else {
    raw = (await first.all<Raw>()).results
  }
  // Crossing into the other segment: forward from values to missing, backward from missing to values.
  const forward = !cursor?.before
  const fromFirst = forward ? segment === 'values' : segment === 'missing'
  const crosses = segmented && raw.length < count + 1 && fromFirst
  if (crosses) {
    const edge: Cursor = { before: !forward, pk: 0, keys: [null] }
    const other: Segment = forward ? 'missing' : 'values'
    const more = await statement(
      db,
      pageQuery(request, edge, count + 1 - raw.length, other)
    ).all<Raw>()
    raw = [...raw, ...more.results]
  }
  const rows = raw.map((r) => toRow(r, keyCount))
  const hasMore = rows.length > count
  const page = rows.slice(0, count)
  if (!forward) page.reverse()
  return { rows: page, more: hasMore, total }
}

/**
 * Runs `request`. A statement D1 refuses for its size (limits.ts: a search within the limits never
 * builds one) is the client's 400 naming the search parameters, not a server error.
 */
export async function runSearch(db: D1Database, request: SearchRequest): Promise<SearchResult> {
  try {
    return await run(db, request)
  } catch (err) {
    throw asTooCostly(err, request) ?? err
  }
}

async function run(db: D1Database, request: SearchRequest): Promise<SearchResult> {
  const warnings: string[] = []
  // _count=0 is read as _summary=count (search.html#count): the total, no entries.
  const countOnly = request.summary === 'count' || request.count === 0
  const wantCount = countOnly || request.total !== 'none'
  const countStmt = wantCount ? statement(db, countQuery(request, TOTAL_CAP)) : undefined
  const result: SearchResult = { rows: [], included: [], warnings }
  let total: number | undefined
  if (countOnly) {
    if (countStmt) total = Number((await countStmt.first<{ n: number }>())!.n)
  } else {
    const page = await readPage(db, request, countStmt)
    total = page.total
    result.rows = page.rows
    const { cursor } = request
    const at = (row: SearchRow, before: boolean): Cursor => ({ before, pk: row.pk, keys: row.keys })
    const firstRow = page.rows[0]
    const lastRow = page.rows[page.rows.length - 1]
    if (cursor?.before) {
      if (page.more && firstRow) result.previous = at(firstRow, true)
      if (lastRow) result.next = at(lastRow, false)
    } else {
      if (page.more && lastRow) result.next = at(lastRow, false)
      if (cursor && firstRow) result.previous = at(firstRow, true)
    }
    if (result.rows.length && (request.include.length || request.revinclude.length)) {
      const included = await runIncludes(db, request, result.rows)
      result.included = included.rows
      if (included.truncated) warnings.push(included.truncated)
    }
  }
  if (total !== undefined) {
    if (total > TOTAL_CAP) {
      warnings.push(`More than ${TOTAL_CAP} resources match; the total is not counted beyond that`)
    } else result.total = total
  }
  return result
}

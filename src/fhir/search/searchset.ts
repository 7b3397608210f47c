// Bundle assembly for searchset responses (R4 bundle.html, search.html#return): absolute fullUrl per
// entry, `search.mode` match / include / outcome, `self`, `next` and `previous` links, `total` when
// counted, and an OperationOutcome entry for ignored parameters and caps that were reached. Stored
// resource JSON is spliced in as text: a page is never parsed and re-serialised unless a projection
// (_summary, _elements) was asked for.

import { appliedParams, cursorParam } from './parse.ts'
import { projection } from './project.ts'
import type { Cursor, SearchRequest } from './request.ts'
import type { SearchResult, SearchRow } from './search-result.ts'

export interface SearchsetInput {
  /** Public base URL of the server (no trailing slash). */
  base: string
  /** Path the search was made on: `/fhir/Observation`, `/fhir`, `/fhir/Patient/1/Observation`. */
  path: string
  request: SearchRequest
  result: SearchResult
}

function withQuery(url: string, params: [string, string][]): string {
  const query = new URLSearchParams(params).toString()
  return query ? `${url}?${query}` : url
}

/** The searchset Bundle as JSON text. */
export function searchsetBundle({ base, path, request, result }: SearchsetInput): string {
  const applied = appliedParams(request)
  const url = `${base}${path}`
  const at = (cursor: Cursor) =>
    withQuery(url, [...applied, ['_cursor', cursorParam(request, cursor)]])
  const link = [
    { relation: 'self', url: request.cursor ? at(request.cursor) : withQuery(url, applied) },
  ]
  if (result.next) link.push({ relation: 'next', url: at(result.next) })
  if (result.previous) link.push({ relation: 'previous', url: at(result.previous) })

  const project = projection(request)
  const toEntry = (row: SearchRow, mode: 'match' | 'include') => {
    const body = project ? project(row.body, row.type, mode === 'match') : row.body
    const fullUrl = JSON.stringify(`${base}/fhir/${row.type}/${row.id}`)
    return `{"fullUrl":${fullUrl},"resource":${body},"search":{"mode":"${mode}"}}`
  }
  const entries = [
    ...result.rows.map((r) => toEntry(r, 'match')),
    ...result.included.map((r) => toEntry(r, 'include')),
  ]
  const issues = [
    ...request.ignored.map(({ name, reason }) => ({
      severity: 'warning',
      code: 'not-supported',
      diagnostics: `Search parameter ${name} was ignored: ${reason}`,
      expression: [name],
    })),
    ...result.warnings.map((diagnostics) => ({
      severity: 'information',
      code: 'informational',
      diagnostics,
    })),
  ]
  if (issues.length) {
    const outcome = { resourceType: 'OperationOutcome', issue: issues }
    entries.push(JSON.stringify({ resource: outcome, search: { mode: 'outcome' } }))
  }
  // FHIR JSON has no empty arrays: no matches means no `entry`.
  const total = result.total === undefined ? '' : `"total":${result.total},`
  const entry = entries.length ? `,"entry":[${entries.join(',')}]` : ''
  return `{"resourceType":"Bundle","type":"searchset",${total}"link":${JSON.stringify(link)}${entry}}`
}

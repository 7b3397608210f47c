// Bundle assembly for searchset responses (R4 bundle.html, search.html#return): absolute fullUrl per
// entry, `search.mode`, `self`/`next` links, and an OperationOutcome entry for ignored parameters.
// Stored resource JSON is spliced in as text: a page is never parsed and re-serialised.

import type { SearchRequest } from './search/parse.ts'
import { appliedParams, encodeCursor } from './search/parse.ts'
import type { SearchRow } from './search/sql.ts'

/** The searchset Bundle as JSON text. */
export function searchsetBundle(base: string, request: SearchRequest, rows: SearchRow[], more: boolean): string {
  const applied = appliedParams(request)
  const typeUrl = `${base}/fhir/${request.type}`
  const link = [{ relation: 'self', url: withQuery(typeUrl, new URLSearchParams(applied)) }]
  if (more && rows.length) {
    const next = new URLSearchParams(applied.filter(([k]) => k !== '_cursor'))
    next.set('_cursor', encodeCursor(rows[rows.length - 1]!.pk))
    link.push({ relation: 'next', url: withQuery(typeUrl, next) })
  }
  const entries = rows.map(
    (row) =>
      `{"fullUrl":${JSON.stringify(`${typeUrl}/${row.id}`)},"resource":${row.body},"search":{"mode":"match"}}`
  )
  if (request.ignored.length) {
    const outcome = {
      resource: {
        resourceType: 'OperationOutcome',
        issue: request.ignored.map(({ name, reason }) => ({
          severity: 'warning',
          code: 'not-supported',
          diagnostics: `Search parameter ${name} was ignored: ${reason}`,
          expression: [name],
        })),
      },
      search: { mode: 'outcome' },
    }
    entries.push(JSON.stringify(outcome))
  }
  return `{"resourceType":"Bundle","type":"searchset","link":${JSON.stringify(link)},"entry":[${entries.join(',')}]}`
}

function withQuery(url: string, params: URLSearchParams): string {
  const query = params.toString()
  return query ? `${url}?${query}` : url
}

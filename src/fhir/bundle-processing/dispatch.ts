// GET (and HEAD) entries of a batch or transaction run as sub-requests through the same FHIR routes
// as HTTP requests (read, vread, history, search, metadata), with the caller's credentials, so they
// are authorised, negotiated and answered exactly alike; the response becomes the entry's response.

import type { Context } from 'hono'
import type { AppEnv } from '../../http/env.ts'
import type { OperationOutcome } from '../../errors/outcome.ts'
import { baseUrl } from '../../http/base-url.ts'
import { statusLine, type ResponseEntry } from '../rest/result.ts'
import type { Entry } from './entries.ts'

/** Runs a request through the FHIR routes (routes.ts builds it). */
export type Dispatch = (request: Request) => Promise<Response>

export async function dispatchEntry(c: Context<AppEnv>, dispatch: Dispatch, entry: Entry): Promise<ResponseEntry> {
  const query = entry.query.toString()
  const path = entry.path ? `/fhir/${entry.path}` : '/fhir'
  const url = `${new URL(c.req.url).origin}${path}${query ? `?${query}` : ''}`
  const headers = new Headers({ accept: 'application/fhir+json' })
  const authorization = c.req.header('authorization')
  if (authorization) headers.set('authorization', authorization)
  if (entry.ifNoneMatch) headers.set('if-none-match', entry.ifNoneMatch)
  if (entry.ifModifiedSince) headers.set('if-modified-since', entry.ifModifiedSince)
  // `handling=strict` applies to a search entry as to the search request.
  const prefer = c.req.header('prefer')
  if (prefer) headers.set('prefer', prefer)
  const res = await dispatch(new Request(url, { method: entry.method, headers }))
  const text = await res.text()
  const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined
  const response: ResponseEntry['response'] = { status: statusLine(res.status) }
  const etag = res.headers.get('etag')
  const lastModified = res.headers.get('last-modified')
  const location = res.headers.get('location')
  if (location) response.location = location
  if (etag) response.etag = etag
  // meta.lastUpdated has the milliseconds an HTTP-date drops.
  const meta = body?.meta as { lastUpdated?: unknown } | undefined
  if (lastModified) {
    response.lastModified =
      typeof meta?.lastUpdated === 'string' ? meta.lastUpdated : new Date(lastModified).toISOString()
  }
  if (res.status >= 400) return { response: { ...response, outcome: body as unknown as OperationOutcome } }
  const result: ResponseEntry = { response }
  if (body) {
    if (entry.interaction.kind === 'read' || entry.interaction.kind === 'vread') {
      result.fullUrl = `${baseUrl(c)}/fhir/${entry.interaction.type}/${entry.interaction.id}`
    }
    result.resource = body
  }
  return result
}

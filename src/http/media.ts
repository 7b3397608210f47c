// FHIR content negotiation (R4 http.html#mime-type): JSON only. `_format` and `Accept` asking for XML
// or anything non-JSON get 406; responses are application/fhir+json unless the client asked for
// plain application/json.

import type { Context, MiddlewareHandler } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { notAcceptable } from '../errors/outcome.ts'

const FHIR_JSON = 'application/fhir+json; charset=utf-8'
const JSON_FORMATS = ['json', 'application/json', 'application/fhir+json', 'application/json+fhir']

/** Middleware: rejects `_format` / `Accept` values that cannot be answered with JSON. */
export function negotiation(): MiddlewareHandler {
  return async function negotiate(c, next) {
    checkFormat(c.req.query('_format'))
    const accept = c.req.header('accept')
    if (accept && !acceptsJson(accept)) {
      throw notAcceptable(
        `Accept: ${accept} cannot be satisfied: this server only produces application/fhir+json`
      )
    }
    await next()
  }
}

/** 406 unless `_format` is absent or a JSON format (also for the entries of a Bundle). */
export function checkFormat(format: string | undefined | null): void {
  if (
    format !== undefined &&
    format !== null &&
    !JSON_FORMATS.includes(format.split(';')[0]!.trim().toLowerCase())
  ) {
    throw notAcceptable(
      `_format=${format} is not supported: this server only speaks JSON (_format=json)`
    )
  }
}

function acceptsJson(accept: string): boolean {
  return accept.split(',').some((part) => {
    const [range, ...params] = part.split(';').map((s) => s.trim().toLowerCase())
    if (params.some((p) => p.replace(/\s/g, '') === 'q=0')) return false
    return range === '*/*' || range === 'application/*' || JSON_FORMATS.includes(range ?? '')
  })
}

function responseType(c: Context): string {
  const accept = c.req.header('accept') ?? ''
  const wantsPlainJson = /application\/json(?!\+)/i.test(accept) && !/fhir\+json/i.test(accept)
  return wantsPlainJson ? 'application/json; charset=utf-8' : FHIR_JSON
}

/** A FHIR JSON response (`text`, when given, is already-serialised JSON and replaces `body`). */
export function fhirJson(
  c: Context,
  body: unknown,
  status: ContentfulStatusCode = 200,
  headers: Record<string, string> = {},
  text?: string
): Response {
  return new Response(text ?? JSON.stringify(body), {
    status,
    headers: { 'content-type': responseType(c), ...headers },
  })
}

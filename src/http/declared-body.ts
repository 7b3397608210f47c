// The body a route declares (route tables name its kind): the middleware puts a lazy, memoised reader
// on the context, and handlers and policies read through it. Lazy, so a request refused before
// anything needs its body is never read.

import type { Context, MiddlewareHandler } from 'hono'
import { bodyReader, type BodyKind } from './body.ts'
import type { AppEnv } from './env.ts'

/** Route middleware: gives the route's handlers (and its policies) the body of kind `kind`. */
export function declaredBody(kind: BodyKind): MiddlewareHandler<AppEnv> {
  return async function declareBody(c, next) {
    c.set('body', bodyReader(c.req.raw, kind))
    await next()
  }
}

/** The parsed body of a route that declared one (its 4xx FhirError when it does not parse). */
export function bodyOf(c: Context<AppEnv>): Promise<unknown> {
  const body = c.get('body')
  if (!body)
    throw new Error(
      `${c.req.method} ${new URL(c.req.url).pathname}: the route reads a body it did not declare`
    )
  return body.read()
}

/** The JSON object body of a route that declared kind `json` or `bundle`. */
export async function jsonBodyOf(c: Context<AppEnv>): Promise<Record<string, unknown>> {
  return (await bodyOf(c)) as Record<string, unknown>
}

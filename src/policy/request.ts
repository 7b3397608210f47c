// The request object AccessPolicy engines see, in Aidbox's shape (aidbox.md §2.3): kebab-case keys,
// lower-case method and header names, query and route params together, empty values removed.
// The Authorization header is left out: policies decide on who the caller is, never on its secret.
// A sub-request (one entry of a batch or transaction Bundle) is described by its own method, path,
// query and body, with the headers and caller of the enclosing HTTP request.

import type { Context } from 'hono'
import type { AppEnv } from '../env.ts'
import { readJsonObject } from '../lib/body.ts'
import { pruneEmpty } from './engines/index.ts'

export type PolicyRequest = Record<string, unknown>

/** What a policy is asked about: the HTTP request itself, or one entry of a Bundle. */
export interface RequestParts {
  method: string
  path: string
  query: URLSearchParams
  /** Route params such as `type` and `id` (named `resource/type`, `resource/id` for policies). */
  routeParams: Record<string, string>
  body: unknown
}

/** The parts of the HTTP request `c` (its JSON body only for writes, and only if it parses). */
export async function partsOf(c: Context<AppEnv>): Promise<RequestParts> {
  const url = new URL(c.req.url)
  let body: unknown
  if (['POST', 'PUT', 'PATCH'].includes(c.req.method)) {
    body = await readJsonObject(c).catch(() => undefined)
  }
  return {
    method: c.req.method,
    path: url.pathname,
    query: url.searchParams,
    routeParams: c.req.param() as Record<string, string>,
    body,
  }
}

export function policyRequest(c: Context<AppEnv>, operation: string, parts: RequestParts): PolicyRequest {
  const params: Record<string, unknown> = {}
  for (const key of new Set(parts.query.keys())) {
    const values = parts.query.getAll(key)
    params[key] = values.length === 1 ? values[0] : values
  }
  for (const [key, value] of Object.entries(parts.routeParams)) {
    params[key === 'type' || key === 'id' ? `resource/${key}` : key] = value
  }
  const headers: Record<string, string> = {}
  c.req.raw.headers.forEach((value, name) => {
    if (name !== 'authorization') headers[name] = value
  })
  const principal = c.get('principal')
  const request: PolicyRequest = {
    'request-method': parts.method.toLowerCase(),
    uri: parts.path,
    'query-string': parts.query.toString(),
    params,
    headers,
    body: parts.body,
    resource: parts.body,
    client: principal.kind === 'client' ? withoutSecret(principal.client) : undefined,
    operation: { id: operation },
  }
  return pruneEmpty(request) as PolicyRequest
}

function withoutSecret(client: Record<string, unknown>): Record<string, unknown> {
  const { secret: _secret, ...rest } = client
  return rest
}

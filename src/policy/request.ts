// The request object AccessPolicy engines see, in Aidbox's shape (aidbox.md §2.3): kebab-case keys,
// lower-case method and header names, query and route params together, empty values removed.
// The Authorization header is left out: policies decide on who the caller is, never on its secret.

import type { Context } from 'hono'
import type { AppEnv } from '../env.ts'
import { readJsonObject } from '../lib/body.ts'
import { pruneEmpty } from './engines/index.ts'

export type PolicyRequest = Record<string, unknown>

export async function policyRequest(c: Context<AppEnv>, operation: string): Promise<PolicyRequest> {
  const url = new URL(c.req.url)
  const params: Record<string, unknown> = {}
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key)
    params[key] = values.length === 1 ? values[0] : values
  }
  for (const [key, value] of Object.entries(c.req.param() as Record<string, string>)) {
    params[key === 'type' || key === 'id' ? `resource/${key}` : key] = value
  }
  const headers: Record<string, string> = {}
  c.req.raw.headers.forEach((value, name) => {
    if (name !== 'authorization') headers[name] = value
  })
  const principal = c.get('principal')
  const body = await readJsonQuietly(c)
  const request: PolicyRequest = {
    'request-method': c.req.method.toLowerCase(),
    uri: url.pathname,
    'query-string': url.search.slice(1),
    params,
    headers,
    body,
    resource: body,
    client: principal.kind === 'client' ? withoutSecret(principal.client) : undefined,
    operation: { id: operation },
  }
  return pruneEmpty(request) as PolicyRequest
}

async function readJsonQuietly(c: Context<AppEnv>): Promise<unknown> {
  if (!['POST', 'PUT', 'PATCH'].includes(c.req.method)) return undefined
  try {
    return await readJsonObject(c)
  } catch {
    return undefined
  }
}

function withoutSecret(client: Record<string, unknown>): Record<string, unknown> {
  const { secret: _secret, ...rest } = client
  return rest
}

// The request object AccessPolicy engines see, in Aidbox's shape (docs/aidbox.md#request-object): kebab-case keys,
// lower-case method and header names, query and route params together, empty values removed.
// Left out on purpose: the Authorization and Cookie headers, any Client `secret` and any User
// `password` (policies decide on who the caller is, never on credentials), and query parameters
// whose names contain "/" (they would pose as route params such as `resource/type`). A sub-request (one entry of a
// batch or transaction Bundle) is described by its own method, path, query and body, with the
// headers and caller of the enclosing HTTP request. docs/access-policies.md#the-request-object lists every key.

import type { Context } from 'hono'
import type { AppEnv } from '../http/env.ts'
import { routingPath } from '../http/route-matcher.ts'
import { pruneEmpty } from './engines/index.ts'
import { isObject } from './engines/path.ts'

export type PolicyRequest = Record<string, unknown>

/** What a policy is asked about: the HTTP request itself, or one entry of a Bundle. */
export interface RequestParts {
  method: string
  /** The path, with the /fhir prefix for FHIR routes (`/fhir/Patient/pt-1`). */
  path: string
  query: URLSearchParams
  /** The parameters of an application/x-www-form-urlencoded body (POST _search). */
  form?: URLSearchParams
  /** Route params such as `type`, `id`, `vid` (named `resource/type`, … for policies). */
  routeParams: Record<string, string>
  body: unknown
}

/** The admin resources whose bodies carry a credential (`secret`, `password`). */
const CREDENTIALED = new Set(['Client', 'User'])

/** Headers policies never see. */
const HIDDEN_HEADERS = new Set(['authorization', 'cookie'])

/**
 * The parts of the HTTP request `c`: the body is the one its route declares (http/body.ts), read
 * through the route's reader; a body that does not parse is left out (the handler answers its
 * 400/415). Form fields (POST _search) join `params` as in Aidbox, so they cannot hide parameters.
 */
export async function partsOf(c: Context<AppEnv>): Promise<RequestParts> {
  const url = new URL(c.req.url)
  const value = await c
    .get('body')
    ?.read()
    .catch(() => undefined)
  const form = value instanceof URLSearchParams ? value : undefined
  return {
    method: c.req.method,
    // The path routing matched (percent-escapes decoded), so a policy on `uri` sees what runs.
    path: routingPath(url.pathname),
    query: url.searchParams,
    form,
    routeParams: c.req.param() as Record<string, string>,
    body: form ? undefined : value,
  }
}

/**
 * `params`: query then form parameters (a repeated one becomes an array; names with "/" are
 * dropped), then route params under Aidbox's namespace (`type` -> `resource/type`, `id` ->
 * `resource/id`, `vid` -> `resource/vid`), which therefore never come from the query or form.
 */
export function policyParams(
  query: URLSearchParams,
  routeParams: Record<string, string>,
  form?: URLSearchParams
): Record<string, unknown> {
  const values = new Map<string, string[]>()
  for (const source of form ? [query, form] : [query]) {
    for (const [key, value] of source) {
      if (key.includes('/')) continue
      const list = values.get(key)
      if (list) list.push(value)
      else values.set(key, [value])
    }
  }
  // No prototype: a parameter named __proto__ is data (pruneEmpty copies it as an own key).
  const params: Record<string, unknown> = Object.create(null)
  for (const [key, list] of values) params[key] = list.length === 1 ? list[0] : list
  for (const [key, value] of Object.entries(routeParams)) {
    params[`resource/${key}`] = value
  }
  return params
}

/** Builds the (pruned) request object for `operation` from `parts`, caller and headers of `c`. */
export function policyRequest(
  c: Context<AppEnv>,
  operation: string,
  parts: RequestParts
): PolicyRequest {
  const headers: Record<string, string> = Object.create(null)
  c.req.raw.headers.forEach((value, name) => {
    if (!HIDDEN_HEADERS.has(name)) headers[name] = value
  })
  const principal = c.get('principal')
  // A Client or User written through the admin API carries its new secret or password in plain
  // text: never shown.
  const credentialed = isObject(parts.body) && CREDENTIALED.has(parts.routeParams.type ?? '')
  const body = credentialed ? withoutSecret(parts.body as Record<string, unknown>) : parts.body
  const request: PolicyRequest = {
    'request-method': parts.method.toLowerCase(),
    uri: parts.path,
    'query-string': parts.query.toString(),
    params: policyParams(parts.query, parts.routeParams, parts.form),
    headers,
    body,
    resource: isObject(body) ? body : undefined,
    client: principal.kind === 'client' ? withoutSecret(principal.client) : undefined,
    user: principal.kind === 'client' && principal.user ? withoutSecret(principal.user) : undefined,
    jwt: principal.kind === 'client' ? principal.token?.claims : undefined,
    operation: { id: operation },
  }
  return pruneEmpty(request) as PolicyRequest
}

/** A Client or User without its credential (`secret`, `password`), whatever form it is in. */
export function withoutSecret(resource: Record<string, unknown>): Record<string, unknown> {
  const { secret: _secret, password: _password, ...rest } = resource
  return rest
}

// POST /auth/test-policy (docs/aidbox.md#the-test-policy-endpoint): evaluates an unsaved policy against a simulated request.
// The request is normalised as the pipeline would build it: method lower-cased, the route resolved
// to its operation and params, query params parsed from `uri` or `query-string`, header names
// lower-cased, a `client-id` (`user-id`) replaced by the stored Client (User) without secret
// (password), a Bearer JWT in
// `headers.authorization` decoded WITHOUT verification into `jwt` (as Aidbox does here), and empty
// values removed. The answer: the normalised request, the operation, the policy and the result.

import { badRequest } from '../errors/outcome.ts'
import { getClient, getUser } from '../config/store.ts'
import { routingPath } from '../http/route-matcher.ts'
import { fromBase64Url } from '../lib/crypto.ts'
import { nestsDeeperThan } from '../lib/json-depth.ts'
import { MAX_JSON_DEPTH } from '../http/body.ts'
import type { Log } from '../lib/log.ts'
import { invalidPolicy } from './invalid-policy.ts'
import {
  compilePolicy,
  evaluatePolicy,
  PolicyValidationError,
  pruneEmpty,
} from './engines/index.ts'
import type { CompiledPolicy } from './engines/index.ts'
import { isObject } from './engines/path.ts'
import { boundValues } from './engines/sql.ts'
import type { OperationResolver } from './route-table.ts'
import { policyParams, withoutSecret, type PolicyRequest } from './request.ts'

const BEARER_JWT = /^Bearer\s+[A-Za-z0-9_-]+\.([A-Za-z0-9_-]+)\.[A-Za-z0-9_-]*$/i

/** Keys of the simulated request that are inputs to normalisation, not request keys. */
const ALIASES = new Set(['method', 'client-id', 'user-id'])

export async function testPolicy(
  env: Env,
  input: Record<string, unknown>,
  resolve: OperationResolver,
  log: Log
): Promise<Record<string, unknown>> {
  if (!isObject(input.policy)) throw badRequest('policy must be an AccessPolicy object', ['policy'])
  if (input.request !== undefined && !isObject(input.request)) {
    throw badRequest('request must be an object', ['request'])
  }
  let compiled: CompiledPolicy
  try {
    compiled = compilePolicy(input.policy)
  } catch (err) {
    if (err instanceof PolicyValidationError) throw invalidPolicy(err, 'policy')
    throw err
  }
  const { request, operation } = await normalise(env, input.request ?? {}, resolve, log)
  const result: Record<string, unknown> = {}
  try {
    result['eval-result'] = await evaluatePolicy(compiled, request, { db: env.DB })
  } catch (err) {
    result['eval-result'] = false
    result.error = err instanceof Error ? err.message : String(err)
  }
  if (compiled.engine === 'sql') {
    result.query = [compiled.sql.sql, ...boundValues(compiled.sql, request)]
  }
  return {
    request,
    ...(operation ? { operation: { id: operation } } : {}),
    policy: input.policy,
    result,
  }
}

async function normalise(
  env: Env,
  raw: Record<string, unknown>,
  resolve: OperationResolver,
  log: Log
): Promise<{ request: PolicyRequest; operation: string | undefined }> {
  const method = stringField(raw, 'request-method') ?? stringField(raw, 'method') ?? 'get'
  const uri = stringField(raw, 'uri') ?? '/'
  const [written, queryInUri] = splitOnce(uri, '?')
  if (!written.startsWith('/')) {
    throw badRequest('request.uri must be a path starting with "/"', ['request.uri'])
  }
  // As the pipeline sees it: the path routing matches, percent-escapes decoded.
  const path = routingPath(written)
  const queryString = stringField(raw, 'query-string') ?? queryInUri ?? ''
  const query = new URLSearchParams(queryString)
  const resolved = resolve(method, path)
  const given = isObject(raw.operation) ? raw.operation.id : undefined
  const operation = typeof given === 'string' ? given : resolved?.id
  const headers: Record<string, unknown> = {}
  if (isObject(raw.headers)) {
    for (const [name, value] of Object.entries(raw.headers)) headers[name.toLowerCase()] = value
  }
  const jwt = raw.jwt ?? bearerClaims(headers.authorization)
  delete headers.authorization
  delete headers.cookie
  const body = raw.body
  const request: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(raw)) if (!ALIASES.has(key)) request[key] = value
  Object.assign(request, {
    'request-method': method.toLowerCase(),
    uri: path,
    'query-string': queryString,
    params: {
      ...policyParams(query, resolved?.routeParams ?? {}),
      ...(isObject(raw.params) ? raw.params : {}),
    },
    headers,
    resource: raw.resource ?? (isObject(body) ? body : undefined),
    client: await clientOf(env, raw, log),
    user: await userOf(env, raw, log),
    jwt,
    operation: operation ? { id: operation } : undefined,
  })
  return { request: (pruneEmpty(request) ?? {}) as PolicyRequest, operation }
}

async function clientOf(env: Env, raw: Record<string, unknown>, log: Log): Promise<unknown> {
  if (raw.client !== undefined) return isObject(raw.client) ? withoutSecret(raw.client) : raw.client
  const id = raw['client-id']
  if (id === undefined) return undefined
  const client = typeof id === 'string' ? await getClient(env, id, { fresh: true, log }) : null
  if (!client) {
    throw badRequest(`request.client-id: no Client ${JSON.stringify(id)}`, ['request.client-id'])
  }
  return withoutSecret(client)
}

async function userOf(env: Env, raw: Record<string, unknown>, log: Log): Promise<unknown> {
  if (raw.user !== undefined) return isObject(raw.user) ? withoutSecret(raw.user) : raw.user
  const id = raw['user-id']
  if (id === undefined) return undefined
  const user = typeof id === 'string' ? await getUser(env, id, { fresh: true, log }) : null
  if (!user) {
    throw badRequest(`request.user-id: no User ${JSON.stringify(id)}`, ['request.user-id'])
  }
  return withoutSecret(user)
}

/** The claims of a `Bearer <jwt>` value, decoded and NOT verified; undefined for anything else. */
function bearerClaims(authorization: unknown): unknown {
  if (typeof authorization !== 'string') return undefined
  const m = BEARER_JWT.exec(authorization.trim())
  const bytes = m ? fromBase64Url(m[1]!) : null
  if (!bytes) return undefined
  const text = new TextDecoder().decode(bytes)
  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
    throw badRequest(`The JWT's claims nest deeper than ${MAX_JSON_DEPTH} levels`, [
      'request.headers.authorization',
    ])
  }
  try {
    const claims: unknown = JSON.parse(text)
    return isObject(claims) ? claims : undefined
  } catch {
    return undefined
  }
}

function stringField(raw: Record<string, unknown>, key: string): string | undefined {
  const value = raw[key]
  if (value === undefined) return undefined
  if (typeof value !== 'string') {
    throw badRequest(`request.${key} must be a string`, [`request.${key}`])
  }
  return value
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator)
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)]
}

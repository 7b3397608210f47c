// Route tables: every guarded route of the app described as data (method, path, the Aidbox operation
// id it is authorised as, the SMART scope letter an access token needs for it, the body it takes,
// its handler), mounted into the Hono app in one order.
// The same list resolves a method and path to its operation and route params for
// POST /auth/test-policy, so a simulated request is judged exactly as the real route would be.

import type { Handler, Hono } from 'hono'
import type { AppEnv } from '../http/env.ts'
import type { BodyKind } from '../http/body.ts'
import { declaredBody } from '../http/declared-body.ts'
import { joinPath, routeMatcher } from '../http/route-matcher.ts'
import { guard } from './authorize.ts'
import type { RouteScope } from './scope-check.ts'

/**
 * A route. As a RouteScope it says what an access token needs to call it (scope-check.ts): a route
 * without `smart` is refused to tokens (the admin and debug API), whatever the policies say.
 */
export interface RouteSpec extends RouteScope {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  /** Hono path pattern(s), relative to the mount prefix. */
  readonly path: string | readonly string[]
  /** The Aidbox operation id the route is authorised as; null for a public route (no policy). */
  readonly operation: string | null
  /** Route params the path fixes rather than captures (`{ type: 'Client' }` on /Client/:id). */
  readonly fixedParams?: Readonly<Record<string, string>>
  /** The body the route takes: read once, capped, parsed (http/body.ts). */
  readonly body?: BodyKind
  /** Refuse anonymous callers (401) whatever the policies say. */
  readonly authenticated?: boolean
  readonly handler: Handler<AppEnv>
}

/** A route table under a path prefix ('' for the root, '/fhir' for the FHIR API). */
export interface Mount {
  readonly prefix: string
  readonly routes: readonly RouteSpec[]
}

const pathsOf = (spec: RouteSpec) => (typeof spec.path === 'string' ? [spec.path] : spec.path)

/** Registers every route of `mounts`, in order (earlier routes win), each behind its guard. */
export function mountRoutes(app: Hono<AppEnv>, mounts: readonly Mount[]): void {
  for (const { prefix, routes } of mounts) {
    for (const spec of routes) {
      const paths = pathsOf(spec).map((p) => joinPath(prefix, p))
      const before = []
      if (spec.body) before.push(declaredBody(spec.body))
      if (spec.operation !== null) {
        before.push(
          guard(spec.operation, {
            authenticated: spec.authenticated,
            fixedParams: spec.fixedParams,
            scope: { smart: spec.smart, granular: spec.granular, checksWrites: spec.checksWrites },
          })
        )
      } else if (spec.authenticated || spec.fixedParams) {
        throw new Error(
          `${spec.method} ${paths[0]} is public (no operation) but asks for a guard option`
        )
      }
      app.on(spec.method, paths, ...before, spec.handler)
    }
  }
}

export interface ResolvedOperation {
  id: string
  /** Route params as the route names them (`type`, `id`, ...), fixed ones included. */
  routeParams: Record<string, string>
}

export type OperationResolver = (method: string, path: string) => ResolvedOperation | undefined

/** Resolves a method and path to the operation and params of the route that would answer it. */
export function operationResolver(mounts: () => readonly Mount[]): OperationResolver {
  let match:
    | ReturnType<typeof routeMatcher<{ spec: RouteSpec; method: string; paths: string[] }>>
    | undefined
  return (method, path) => {
    match ??= routeMatcher(
      mounts().flatMap(({ prefix, routes }) =>
        routes.map((spec) => ({
          spec,
          method: spec.method,
          paths: pathsOf(spec).map((p) => joinPath(prefix, p)),
        }))
      )
    )
    const found = match(method, path)
    if (!found || found.route.spec.operation === null) return undefined
    const params: Record<string, string> = {}
    for (const [key, value] of Object.entries(found.params)) params[key] = decodeLeniently(value)
    return {
      id: found.route.spec.operation,
      routeParams: { ...found.route.spec.fixedParams, ...params },
    }
  }
}

/** Percent-decoding as Hono does for route params: a malformed escape is kept as written. */
function decodeLeniently(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

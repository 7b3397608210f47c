// Resolves a method and path to the operation id and route params its route authorises with,
// read from the routers themselves (each `guard(op)` middleware carries `operationId` and its
// `fixedParams`), so that
// POST /auth/test-policy (and anyone describing a sub-request) uses exactly the ids and params of
// the real routes. Routes are matched by a shadow Hono app holding only the guarded routes.

import { Hono } from 'hono'

export interface ResolvedOperation {
  id: string
  /** Route params as Hono names them (`type`, `id`, …). */
  routeParams: Record<string, string>
}

export type OperationResolver = (
  method: string,
  path: string
) => Promise<ResolvedOperation | undefined>

/** A router mounted at a prefix, in the order app.ts mounts them (earlier routes win). */
export type Mount = readonly [prefix: string, router: { routes: readonly RouteLike[] }]

interface RouteLike {
  method: string
  path: string
  handler: unknown
}

export function operationResolver(mounts: () => readonly Mount[]): OperationResolver {
  let shadow: Hono | undefined
  return async (method, path) => {
    shadow ??= buildShadow(mounts())
    const res = await shadow.request(`https://resolve.invalid${path}`, {
      method: method.toUpperCase(),
    })
    if (res.status !== 200) return undefined
    return (await res.json()) as ResolvedOperation
  }
}

function buildShadow(mounts: readonly Mount[]): Hono {
  const shadow = new Hono()
  for (const [prefix, router] of mounts) {
    for (const route of router.routes) {
      const { operationId: id, fixedParams } = route.handler as {
        operationId?: unknown
        fixedParams?: Record<string, string>
      }
      if (typeof id !== 'string') continue
      shadow.on(route.method, joinPath(prefix, route.path), (c) =>
        c.json({ id, routeParams: { ...fixedParams, ...c.req.param() } })
      )
    }
  }
  return shadow
}

function joinPath(prefix: string, path: string): string {
  const base = prefix.replace(/\/+$/, '')
  if (path === '/' || path === '') return base || '/'
  return base + path
}

// Matching a method and path against an ordered list of routes outside of Hono's request handling:
// for the entries of a Bundle and for resolving the operation of a simulated request. It uses the
// router the app itself is built with (APP_ROUTER), the same path patterns, and the same decoding of
// the path before matching (Hono's getPath), so a path matches the route an HTTP request would: the
// first route registered that matches wins.

import { TrieRouter } from 'hono/router/trie-router'
import { getPath } from 'hono/utils/url'

/** The router class of the app (app.ts) and of every matcher here: one matching semantics. */
export const APP_ROUTER = TrieRouter

export interface Routable {
  readonly method: string
  /** Full path patterns (Hono syntax), the first of which is its canonical form. */
  readonly paths: readonly string[]
}

export interface RouteMatch<R> {
  route: R
  /** Path parameters as Hono's router gives them (before Hono's own per-param decoding). */
  params: Record<string, string>
}

export type RouteMatcher<R> = (method: string, path: string) => RouteMatch<R> | undefined

/** A matcher over `routes`; earlier routes win, as in the Hono app they are mounted into. */
export function routeMatcher<R extends Routable>(routes: readonly R[]): RouteMatcher<R> {
  const router = new APP_ROUTER<R>()
  for (const route of routes) {
    for (const path of route.paths) router.add(route.method.toUpperCase(), path, route)
  }
  return (method, path) => {
    // HEAD is answered by GET routes, as in Hono's request handling.
    const verb = method.toUpperCase() === 'HEAD' ? 'GET' : method.toUpperCase()
    const [matches] = router.match(verb, routingPath(path)) as [[R, Record<string, string>][]]
    const first = matches[0]
    return first && { route: first[0], params: { ...first[1] } }
  }
}

/** The path as Hono routes it: percent-escapes decoded (decodeURI), `%25` kept. */
export function routingPath(path: string): string {
  return getPath({ url: `http://localhost${path.startsWith('/') ? path : `/${path}`}` } as Request)
}

/** `prefix` + `path` as Hono joins a sub-path to its mount point ('/fhir' + '' is '/fhir'). */
export function joinPath(prefix: string, path: string): string {
  if (path === '') return prefix || '/'
  return prefix.replace(/\/+$/, '') + path
}

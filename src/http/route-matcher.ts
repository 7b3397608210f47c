// Matching a method and path against an ordered list of routes outside of Hono's request handling:
// for the entries of a Bundle and for resolving the operation of a simulated request. It uses Hono's
// own TrieRouter with the same path patterns the app registers, so a path matches the same route as
// an HTTP request would: the first route registered that matches wins.

import { TrieRouter } from 'hono/router/trie-router'

export interface Routable {
  readonly method: string
  /** Full path patterns (Hono syntax), the first of which is its canonical form. */
  readonly paths: readonly string[]
}

export interface RouteMatch<R> {
  route: R
  /** Path parameters as written in the path (still percent-encoded). */
  params: Record<string, string>
}

export type RouteMatcher<R> = (method: string, path: string) => RouteMatch<R> | undefined

/** A matcher over `routes`; earlier routes win, as in the Hono app they are mounted into. */
export function routeMatcher<R extends Routable>(routes: readonly R[]): RouteMatcher<R> {
  const router = new TrieRouter<R>()
  for (const route of routes) {
    for (const path of route.paths) router.add(route.method.toUpperCase(), path, route)
  }
  return (method, path) => {
    const [matches] = router.match(method.toUpperCase(), path) as [[R, Record<string, string>][]]
    const first = matches[0]
    return first && { route: first[0], params: { ...first[1] } }
  }
}

/** `prefix` + `path` as Hono joins a sub-path to its mount point ('/fhir' + '' is '/fhir'). */
export function joinPath(prefix: string, path: string): string {
  if (path === '') return prefix || '/'
  return prefix.replace(/\/+$/, '') + path
}

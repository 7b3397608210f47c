// The public base URL used in fullUrl, Location and Bundle links.

import type { Context } from 'hono'
import type { AppEnv } from './env.ts'

/** BASE_URL when configured, else the request's origin; never with a trailing slash. */
export function baseUrl(c: Context<AppEnv>): string {
  return (c.env.BASE_URL || new URL(c.req.url).origin).replace(/\/+$/, '')
}

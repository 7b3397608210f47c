// What the pages of the token service share (the authorization pages, authorize-routes.ts, and the
// page of allowed apps, grants-routes.ts): the patient directory they are handed, error pages, reading
// a form, the origins our forms come from, and how an app and a person are named on a page.

import type { Context } from 'hono'
import type { AppEnv } from '../http/env.ts'
import { baseUrl } from '../http/base-url.ts'
import { MAX_FORM_BYTES, mediaType, readUpTo } from '../http/body.ts'
import type { StoredClient, StoredUser } from '../config/store.ts'
import type { PatientChoice } from './pages/consent.ts'
import { errorPage } from './pages/error.ts'
import { pageResponse } from './pages/headers.ts'

/** Where the consent page finds patients (src/fhir/patient-directory.ts, handed over by src/app.ts). */
export interface PatientDirectory {
  find(db: D1Database, text: string, limit: number): Promise<PatientChoice[]>
  get(db: D1Database, id: string): Promise<PatientChoice | null>
}

/** An error page with `status`. */
export const problem = (status: number, title: string, message: string) =>
  pageResponse(errorPage({ title, message }), status)

/** The body of a form POST, or null when it is not one (or is too large). */
export async function readForm(c: Context<AppEnv>): Promise<URLSearchParams | null> {
  if (mediaType(c.req.header('content-type')) !== 'application/x-www-form-urlencoded') return null
  const bytes = await readUpTo(c.req.raw, MAX_FORM_BYTES)
  if (!bytes) return null
  try {
    return new URLSearchParams(
      new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes)
    )
  } catch {
    return null
  }
}

/** The origins our own pages are served from (the request's, and BASE_URL's). */
export function ownOrigins(c: Context<AppEnv>): string[] {
  return [...new Set([new URL(c.req.url).origin, new URL(baseUrl(c)).origin])]
}

export const appName = (client: StoredClient) =>
  typeof client.name === 'string' && client.name.trim() ? client.name.trim() : client.id

export const userName = (user: StoredUser) =>
  typeof user.name === 'string' && user.name.trim()
    ? user.name.trim()
    : typeof user.email === 'string'
      ? user.email
      : user.id

/** The pages answer a person: an unexpected failure is a page too (logged with a reference). */
export function pageError(err: Error, c: Context<AppEnv>): Response {
  const reference = crypto.randomUUID()
  c.get('log').error('unhandled error', { reference, error: String(err), stack: err.stack })
  return problem(
    500,
    'Something went wrong',
    `Something went wrong on our side. Go back to the app and try again (reference ${reference}).`
  )
}

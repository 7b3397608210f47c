// The FHIR REST sub-app mounted at /fhir (R4 http.html): create, read and update.
// Each route is guarded by its Aidbox operation id; handlers stay thin and call the repository.

import { Hono, type Context } from 'hono'
import type { AppEnv } from '../env.ts'
import { guard } from '../policy/authorize.ts'
import { readJsonObject } from '../lib/body.ts'
import { fhirJson } from './media.ts'
import { baseUrl } from './base-url.ts'
import { conflict, gone, notFound } from './outcome.ts'
import { checkCreateBody, checkFhirId, checkType, checkUpdateBody } from './resource-input.ts'
import {
  isUnchanged,
  readResource,
  WriteConflict,
  writeResource,
  type StoredRow,
} from '../storage/resources.ts'

export const fhirRoutes = new Hono<AppEnv>()

/** Reads and writes tried per unconditional update before answering 409. */
const MAX_WRITE_ATTEMPTS = 10

fhirRoutes.post('/:type', guard('FhirCreate'), async (c) => {
  const type = c.req.param('type')
  checkType(type)
  const body = await readJsonObject(c)
  checkCreateBody(type, body)
  const stored = await writeResource(c.env.DB, type, crypto.randomUUID(), body, null, 'POST')
  return written(c, stored, 201)
})

fhirRoutes.get('/:type/:id', guard('FhirRead'), async (c) => {
  const { type, id } = c.req.param()
  checkType(type)
  checkFhirId(id)
  const row = await readResource(c.env.DB, type, id)
  if (!row) throw notFound(`Resource ${type}/${id} not found`)
  if (row.deleted) throw gone(`Resource ${type}/${id} was deleted`)
  return fhirJson(c, row.body, 200, versionHeaders(row))
})

fhirRoutes.put('/:type/:id', guard('FhirUpdate'), async (c) => {
  const { type, id } = c.req.param()
  checkType(type)
  checkFhirId(id)
  const body = await readJsonObject(c)
  checkUpdateBody(type, id, body)
  // Another writer may commit between our read and our batch: read again and retry, with jitter.
  for (let attempt = 1; ; attempt++) {
    const current = await readResource(c.env.DB, type, id)
    // Like HAPI, an update that changes nothing makes no new version (so re-loading data is a no-op).
    if (current && isUnchanged(current, body)) return written(c, current, 200)
    try {
      const stored = await writeResource(c.env.DB, type, id, body, current, 'PUT')
      return written(c, stored, current && !current.deleted ? 200 : 201)
    } catch (err) {
      if (!(err instanceof WriteConflict)) throw err
      if (attempt === MAX_WRITE_ATTEMPTS) {
        throw conflict(`${type}/${id} is being changed by other requests at the same time; try again`)
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt))
    }
  }
})

function written(c: Context<AppEnv>, row: StoredRow, status: 200 | 201): Response {
  const { resourceType, id } = row.body
  const location = `${baseUrl(c)}/fhir/${resourceType}/${id}/_history/${row.version}`
  return fhirJson(c, row.body, status, { ...versionHeaders(row), location })
}

function versionHeaders(row: StoredRow): Record<string, string> {
  return { etag: `W/"${row.version}"`, 'last-modified': new Date(row.lastUpdated).toUTCString() }
}

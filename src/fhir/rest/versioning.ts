// Version headers (R4 http.html#versioning, #cread, #concurrency): `ETag: W/"<versionId>"` and
// `Last-Modified` on reads and writes; `If-Match` (optimistic locking: 412 on a stale version);
// `If-None-Match` and `If-Modified-Since` on reads (304).

import { badRequest, preconditionFailed } from '../../errors/outcome.ts'
import type { StoredRow } from '../storage/resources.ts'

export interface Versioned {
  version: number
  lastUpdated: number
}

export const etag = (version: number) => `W/"${version}"`

/** An HTTP-date, as in Last-Modified (second precision). */
const httpDate = (ms: number) => new Date(ms).toUTCString()

/** An instant, as in Bundle.entry.response.lastModified and meta.lastUpdated. */
export const instant = (ms: number) => new Date(ms).toISOString()

export function versionHeaders(v: Versioned): Record<string, string> {
  return { etag: etag(v.version), 'last-modified': httpDate(v.lastUpdated) }
}

const ENTITY_TAG = /^\s*(?:W\/)?"(\d{1,15})"\s*$|^\s*(\d{1,15})\s*$/

/**
 * The versions an If-Match / If-None-Match header names: `*` for any, else version numbers from
 * `W/"3"` (the form this server sends), `"3"`, or a bare `3`. Anything else is a 400.
 */
function parseEntityTags(header: string, name: string): '*' | number[] {
  if (header.trim() === '*') return '*'
  return header.split(',').map((tag) => {
    const match = ENTITY_TAG.exec(tag)
    if (!match) {
      throw badRequest(
        `${name}: ${JSON.stringify(tag.trim())} is not a version ETag such as W/"3"`,
        [name]
      )
    }
    return Number(match[1] ?? match[2])
  })
}

/**
 * The If-Match precondition of an update, patch or delete: the resource must exist (deleted counts,
 * with the version of its deletion) and be at one of the named versions, else 412.
 */
export function checkIfMatch(
  ifMatch: string | undefined,
  current: StoredRow | null,
  label: string
): void {
  if (ifMatch === undefined) return
  const tags = parseEntityTags(ifMatch, 'If-Match')
  if (!current) throw preconditionFailed(`If-Match ${ifMatch.trim()}: ${label} does not exist`)
  if (tags !== '*' && !tags.includes(current.version)) {
    throw preconditionFailed(
      `If-Match ${ifMatch.trim()} does not match the current version of ${label} (W/"${current.version}")`
    )
  }
}

/**
 * True when a read may answer 304 Not Modified: If-None-Match names the current version, or (without
 * If-None-Match, RFC 9110 §13.2.2) the resource has not changed since If-Modified-Since.
 */
export function notModified(
  conditions: { ifNoneMatch?: string; ifModifiedSince?: string },
  current: Versioned
): boolean {
  if (conditions.ifNoneMatch !== undefined) {
    const tags = parseEntityTags(conditions.ifNoneMatch, 'If-None-Match')
    return tags === '*' || tags.includes(current.version)
  }
  if (conditions.ifModifiedSince !== undefined) {
    const since = Date.parse(conditions.ifModifiedSince)
    // An invalid date is ignored (RFC 9110 §13.1.3); Last-Modified has whole seconds.
    return !Number.isNaN(since) && Math.floor(current.lastUpdated / 1000) * 1000 <= since
  }
  return false
}

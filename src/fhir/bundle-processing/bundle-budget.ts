// What one batch or transaction may cost: a Bundle of 500 searches of 1,000 resources each would
// build a response of hundreds of megabytes and read millions of rows, and 500 writes of a large
// resource answered with its representation would too. The response carries at most
// MAX_BUNDLE_RESPONSE_BYTES of resources: past it a read entry is answered 413 (`too-costly`) without
// running, and a write entry without its representation (as `Prefer: return=minimal`; the write is
// done). At most MAX_BUNDLE_SEARCHES searches run: search and history entries, conditional criteria
// (If-None-Exist, conditional update, patch, delete) and each conditional reference of a transaction.

import { FhirError } from '../../errors/outcome.ts'
import { RawJson, type ResponseEntry } from '../rest/result.ts'
import type { Entry } from './entries.ts'

/** Largest total of read results (resources and Bundles) in one Bundle response, in characters. */
const MAX_BUNDLE_RESPONSE_BYTES = 8 * 1024 * 1024
/** Most searches one Bundle may run (entries, conditional criteria, conditional references). */
const MAX_BUNDLE_SEARCHES = 100

const tooCostly = (diagnostics: string) =>
  new FhirError(413, { severity: 'error', code: 'too-costly', diagnostics })

/** The searches an entry makes: a search or history, or the criteria of a conditional write. */
function searchesOf(entry: Entry): number {
  const name = entry.interaction.name
  if (entry.interaction.smart === 's') return 1
  if (name.startsWith('conditional-')) return 1
  return name === 'create' && entry.ifNoneExist !== undefined ? 1 : 0
}

export class BundleBudget {
  private bytes = 0
  private searches = 0

  /** An entry the Bundle will run, with `more` searches of its own: 413 past MAX_BUNDLE_SEARCHES. */
  count(entry: Entry, more = 0): void {
    const searches = searchesOf(entry) + more
    this.searches += searches
    if (searches > 0 && this.searches > MAX_BUNDLE_SEARCHES) {
      throw tooCostly(
        `A Bundle runs at most ${MAX_BUNDLE_SEARCHES} searches (search and history entries, ` +
          'conditional criteria and conditional references); this entry was not run'
      )
    }
  }

  /** Before a read entry runs: 413 once the reads have returned their share. */
  admit(): void {
    if (this.bytes > MAX_BUNDLE_RESPONSE_BYTES) {
      throw tooCostly(
        `The reads of this Bundle already return more than ${MAX_BUNDLE_RESPONSE_BYTES} bytes; ` +
          'this entry was not run. Split the Bundle, or ask for fewer resources (_count, _elements).'
      )
    }
  }

  /** After a write: counts its representation, or leaves it out once the Bundle is over. */
  chargeWrite(response: ResponseEntry): ResponseEntry {
    const resource = response.resource
    if (resource === undefined) return response
    const size =
      resource instanceof RawJson ? resource.text.length : JSON.stringify(resource).length
    if (this.bytes + size > MAX_BUNDLE_RESPONSE_BYTES) {
      const { resource: _left, ...minimal } = response
      return minimal
    }
    this.bytes += size
    return response
  }

  /** After a read: counts what the entry returns; 413 instead when it would take the Bundle over. */
  charge(response: ResponseEntry): ResponseEntry {
    if (!(response.resource instanceof RawJson)) return response
    this.bytes += response.resource.text.length
    if (this.bytes > MAX_BUNDLE_RESPONSE_BYTES) {
      throw tooCostly(
        `This entry would take the Bundle's response over ${MAX_BUNDLE_RESPONSE_BYTES} bytes of ` +
          'read results. Split the Bundle, or ask for fewer resources (_count, _elements).'
      )
    }
    return response
  }
}

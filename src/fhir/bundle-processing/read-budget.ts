// What the reads of one batch or transaction may bring back: a Bundle of 500 searches of 1,000
// resources each would build a response of hundreds of megabytes and read millions of rows. The
// response carries at most MAX_BUNDLE_RESPONSE_BYTES of read results, and at most
// MAX_BUNDLE_SEARCHES search or history entries run; past either, each further read entry is
// answered 413 (`too-costly`) without running. Write entries are bounded by the request's own cap.

import { FhirError } from '../../errors/outcome.ts'
import { RawJson, type ResponseEntry } from '../rest/result.ts'
import type { Entry } from './entries.ts'

/** Largest total of read results (resources and Bundles) in one Bundle response, in characters. */
const MAX_BUNDLE_RESPONSE_BYTES = 8 * 1024 * 1024
/** Most search and history entries (SMART `s` interactions) one Bundle may run. */
const MAX_BUNDLE_SEARCHES = 100

const tooCostly = (diagnostics: string) =>
  new FhirError(413, { severity: 'error', code: 'too-costly', diagnostics })

const isSearchEntry = (entry: Entry) => entry.interaction.smart === 's'

export class ReadBudget {
  private bytes = 0
  private searches = 0

  /** A read entry the Bundle will run: 413 past MAX_BUNDLE_SEARCHES searches. */
  count(entry: Entry): void {
    if (isSearchEntry(entry) && ++this.searches > MAX_BUNDLE_SEARCHES) {
      throw tooCostly(
        `A Bundle runs at most ${MAX_BUNDLE_SEARCHES} search and history entries; this one was not run`
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

  /** After: counts what the entry returns; 413 instead when it would take the Bundle over. */
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

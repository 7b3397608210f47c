// One FHIR interaction's input and output, whatever carried it: an HTTP request (routes.ts) or an
// entry of a batch or transaction Bundle (bundle-processing/). Handlers of the interaction table
// (interactions.ts) take a FhirCall and return a FhirResult; routes.ts turns a result into an HTTP
// response and bundle-processing/entry-response.ts into a Bundle entry, so the two answer alike.

import type { BodyKind } from '../http/body.ts'
import type { Log } from '../lib/log.ts'
import type { RequestParts } from '../policy/request.ts'
import type { TokenScopes } from '../policy/scope-check.ts'
import type { RestResult } from './rest/result.ts'
import type { SearchAccess } from './rest/search-access.ts'
import type { StoredRow } from './storage/resources.ts'

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/** Request headers an interaction reads (lower case). */
export type CallHeader =
  'if-match' | 'if-none-match' | 'if-modified-since' | 'if-none-exist' | 'prefer'

export interface FhirCall {
  db: D1Database
  /** The request's log (lines carry its id). */
  log: Log
  /** The public base URL (no trailing slash; the FHIR base is `${base}/fhir`). */
  base: string
  /** Route params, percent-decoded and checked: `type`, `id`, `vid`, `compartment`. */
  params: Readonly<Record<string, string>>
  query: URLSearchParams
  /** The body the interaction declares, parsed; rejects with its 4xx when it is malformed. */
  body(): Promise<unknown>
  header(name: CallHeader): string | undefined
  /** Authorises a Bundle entry as its own request (set for HTTP requests, which may carry Bundles). */
  authorize?: (operation: string, parts: RequestParts) => Promise<void>
  /**
   * Authorises searches of `types` for the caller, each as `GET [base]/<type>` with the operation
   * of a type search, and each against the access token's `s` scopes: what a search, a conditional
   * interaction or a conditional reference reads beyond its route (rest/search-access.ts). Throws
   * the 401/403 of the first refused. A type whose `s` scope is granular is refused too, unless
   * `apply` asks for its restrictions (returned, for the search engine to apply).
   */
  authorizeSearch: SearchAccess
  /**
   * The caller's access token scopes (policy/scope-check.ts); undefined when it has no token (HTTP
   * Basic, root, anonymous): then scopes do not apply.
   */
  scopes?: TokenScopes
  /** Current rows a batch read ahead: the row, null when absent, undefined when not read. */
  current?: (type: string, id: string) => StoredRow | null | undefined
}

/** A resource version a result is about (ETag, Last-Modified). */
export interface VersionRef {
  type: string
  id: string
  version: number
  lastUpdated: number
}

export type FhirResult =
  /** A write (create, update, patch, delete): `Prefer: return=` chooses what the answer carries. */
  | { kind: 'write'; result: RestResult }
  /** A stored version (read, vread) as its stored JSON text; no text for 304 Not Modified. */
  | { kind: 'resource'; status: 200 | 304; version: VersionRef; text?: string }
  /** A document the server made (a Bundle, the CapabilityStatement), as JSON text. */
  | { kind: 'document'; text: string }

/** SMART App Launch 2 scope letters: create, read, update, delete, search (scopes-and-launch-context). */
export type SmartInteraction = 'c' | 'r' | 'u' | 'd' | 's'

/** One row of the interaction table. */
export interface FhirInteraction {
  /** Unique name of the row; the FHIR interaction code where there is one. */
  readonly name: string
  readonly method: Method
  /** Hono path pattern(s) relative to the FHIR base ('' is the base itself). */
  readonly path: string | readonly string[]
  /** The Aidbox operation id it is authorised as; null for the public CapabilityStatement. */
  readonly operation: string | null
  /**
   * The SMART scope letter an access token needs for it; `entries` for batch/transaction (each entry
   * is checked with its own); none for the public CapabilityStatement.
   */
  readonly smart?: SmartInteraction | 'entries'
  /**
   * Its handler applies granular scope restrictions (search, read); on other rows a granular grant
   * is refused (policy/scope-check.ts).
   */
  readonly granular?: true
  /**
   * Its handler checks every resource it writes, current and new version, against the compartment
   * of a `patient/` scope (rest/compartment-writes.ts), so such a grant of its letter passes the guard.
   */
  readonly checksWrites?: true
  /** CapabilityStatement interaction codes it implements (type level when the path has :type). */
  readonly capability: readonly string[]
  /** The body it takes; inside a Bundle the entry's resource stands for it. */
  readonly body?: BodyKind
  /** May be the request of a batch or transaction entry. */
  readonly inBundle: boolean
  readonly handler: (call: FhirCall) => Promise<FhirResult>
  /**
   * Checks a read's request without reading data (parameters, paging, Prefer: handling=strict, and
   * the authorisation of every type it reads), so a transaction rejects a bad GET entry before it
   * commits its writes.
   */
  readonly check?: (call: FhirCall) => Promise<void>
}

/** Finds the row a method and path under /fhir ask for, with its params as written (percent-encoded). */
export type InteractionMatcher = (
  method: string,
  path: string
) => { route: FhirInteraction; params: Record<string, string> } | undefined

export const written = (result: RestResult): FhirResult => ({ kind: 'write', result })

export const document = (text: string): FhirResult => ({ kind: 'document', text })

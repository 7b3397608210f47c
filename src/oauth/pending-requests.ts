// Authorization requests waiting for a person (migration 0008 oauth_request): /auth/authorize checks
// a request, stores it here, and the login and consent pages carry only its random handle (a hidden
// form field and a query parameter). A request is bound to the browser that made it (the hash of its
// __Host- browser cookie), so a handle alone, leaked or planted, is of no use: together with the
// handle it is also what makes the pages' forms safe from cross-site request forgery. Stored by the
// hash of the handle; 10 minutes to log in and consent.

import { sweepStatement } from '../auth/token-store.ts'
import type { LaunchContext } from '../auth/launches.ts'
import { randomValue, secretHash, isRandomValue } from '../auth/grant-store.ts'

/** How long a person has to log in and consent: 10 minutes, in seconds. */
const REQUEST_LIFETIME = 600

/** A checked authorization request. */
export interface PendingRequest {
  readonly clientId: string
  readonly redirectUri: string
  readonly state: string
  /** The scopes the app asked for and may be offered (app-scope.ts), in order. */
  readonly scopes: readonly string[]
  readonly codeChallenge: string
  readonly nonce?: string
  /** The context of an EHR launch, redeemed at /auth/authorize. */
  readonly launch?: LaunchContext
}

/** Stores `request` for the browser whose cookie value is `browser`; returns its handle. */
export async function storeRequest(
  db: D1Database,
  request: PendingRequest,
  browser: string,
  now: number
): Promise<string> {
  const handle = randomValue()
  await db.batch([
    db
      .prepare(
        `INSERT INTO oauth_request (handle_hash, browser_hash, client_id, request, expires_at)
         VALUES (?, ?, ?, ?, ?)`
      )
      .bind(
        await secretHash(handle),
        await secretHash(browser),
        request.clientId,
        JSON.stringify(request),
        now + REQUEST_LIFETIME
      ),
    sweepStatement(db, 'oauth_request', now),
  ])
  return handle
}

/** The request of `handle` if it is live and was made by the browser with cookie value `browser`. */
export async function pendingRequest(
  db: D1Database,
  handle: string | undefined,
  browser: string | undefined,
  now: number
): Promise<PendingRequest | null> {
  if (!isRandomValue(handle) || !isRandomValue(browser)) return null
  const row = await db
    .prepare(
      `SELECT request FROM oauth_request
        WHERE handle_hash = ? AND browser_hash = ? AND expires_at > ?`
    )
    .bind(await secretHash(handle), await secretHash(browser), now)
    .first<{ request: string }>()
  return row ? (JSON.parse(row.request) as PendingRequest) : null
}

/**
 * The statements that answer the request of `handle` once, for the batch that records the answer:
 * the first fails the batch unless the request is still there (two answers cannot both land).
 */
export async function answerRequestStatements(
  db: D1Database,
  handle: string
): Promise<D1PreparedStatement[]> {
  const hash = await secretHash(handle)
  return [
    db
      .prepare(
        `INSERT INTO token_guard (live) SELECT NULL WHERE NOT EXISTS
           (SELECT 1 FROM oauth_request WHERE handle_hash = ?)`
      )
      .bind(hash),
    db.prepare('DELETE FROM oauth_request WHERE handle_hash = ?').bind(hash),
  ]
}

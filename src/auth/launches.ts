// EHR launch values (SMART App Launch "EHR launch"; migration 0008 oauth_launch): an EHR asks for a
// launch value bound to a client and a context (patient, encounter, the User), opens the app's launch
// URL with it, and the app hands it to the authorization endpoint, which redeems it once. Random,
// stored hashed, short-lived, single use.

import { sweepStatement } from './token-store.ts'
import { isRandomValue, randomValue, secretHash } from './grant-store.ts'

/** How long a launch value may wait for the app: 5 minutes, in seconds. */
export const LAUNCH_LIFETIME = 300

export interface LaunchContext {
  readonly patient?: string
  readonly encounter?: string
  /** The User the EHR launched the app for: the person must log in as this User. */
  readonly user?: string
}

/** Records a launch value for `clientId` and `context`; returns the value. */
export async function createLaunch(
  db: D1Database,
  clientId: string,
  context: LaunchContext,
  now: number
): Promise<string> {
  const value = randomValue()
  await db.batch([
    db
      .prepare(
        'INSERT INTO oauth_launch (launch_hash, client_id, context, expires_at) VALUES (?, ?, ?, ?)'
      )
      .bind(await secretHash(value), clientId, JSON.stringify(context), now + LAUNCH_LIFETIME),
    sweepStatement(db, 'oauth_launch', now),
  ])
  return value
}

/** Redeems launch value `value` for `clientId`: its context, once; null if unknown, used or expired. */
export async function redeemLaunch(
  db: D1Database,
  value: string,
  clientId: string,
  now: number
): Promise<LaunchContext | null> {
  if (!isRandomValue(value)) return null
  const row = await db
    .prepare(
      `UPDATE oauth_launch SET used_at = ?1
        WHERE launch_hash = ?2 AND client_id = ?3 AND used_at IS NULL AND expires_at > ?1
        RETURNING context`
    )
    .bind(now, await secretHash(value), clientId)
    .first<{ context: string }>()
  return row ? (JSON.parse(row.context) as LaunchContext) : null
}

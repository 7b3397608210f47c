// Login sessions of the authorization endpoint's pages (migration 0008 oauth_session): a person who
// logged in in a browser holds a random session value in a __Host- cookie; D1 keeps only its hash,
// the User and the expiry. A session ends at its expiry or on logout; ending it revokes the
// online_access grants made in it (SMART App Launch "online_access").

import { sweepStatement } from './token-store.ts'
import {
  isRandomValue,
  randomValue,
  revokeSessionGrantsStatements,
  secretHash,
} from './grant-store.ts'

/** How long a login session lasts: 12 hours, in seconds. */
export const SESSION_LIFETIME = 12 * 3600

export interface Session {
  /** The hash of the session value (what grants and refresh tokens are bound to). */
  readonly hash: string
  readonly userId: string
  /** When the person logged in (epoch seconds). */
  readonly createdAt: number
  readonly expiresAt: number
}

/** Opens a session for `userId`; returns the cookie value and the session. */
export async function openSession(
  db: D1Database,
  userId: string,
  now: number
): Promise<{ value: string; session: Session }> {
  const value = randomValue()
  const session = {
    hash: await secretHash(value),
    userId,
    createdAt: now,
    expiresAt: now + SESSION_LIFETIME,
  }
  await db.batch([
    db
      .prepare(
        'INSERT INTO oauth_session (session_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)'
      )
      .bind(session.hash, userId, now, session.expiresAt),
    sweepStatement(db, 'oauth_session', now - 86_400),
  ])
  return { value, session }
}

/** The open session of the cookie value `value`, or null. */
export async function openSessionOf(
  db: D1Database,
  value: string | undefined,
  now: number
): Promise<Session | null> {
  if (!isRandomValue(value)) return null
  const hash = await secretHash(value)
  const row = await db
    .prepare(
      `SELECT user_id, created_at, expires_at FROM oauth_session
        WHERE session_hash = ? AND ended_at IS NULL AND expires_at > ?`
    )
    .bind(hash, now)
    .first<{ user_id: string; created_at: number; expires_at: number }>()
  return row
    ? { hash, userId: row.user_id, createdAt: row.created_at, expiresAt: row.expires_at }
    : null
}

/** Ends the session of cookie value `value` (if open) and revokes its online_access grants. */
export async function endSession(
  db: D1Database,
  value: string | undefined,
  now: number
): Promise<void> {
  if (!isRandomValue(value)) return
  const hash = await secretHash(value)
  await db.batch([
    db
      .prepare('UPDATE oauth_session SET ended_at = ? WHERE session_hash = ? AND ended_at IS NULL')
      .bind(now, hash),
    ...revokeSessionGrantsStatements(db, hash, now),
  ])
}

// D1 records of the token service (migration 0005): access tokens issued (opaque ones by the SHA-256 of
// their text only), their revocation, and the jti of client assertions already used. The one place
// with SQL for these tables; every write that touches several rows is one db.batch().

import { sha256, toBase64Url } from '../lib/crypto.ts'

export interface TokenRecord {
  jti: string
  clientId: string
  /** The User the token acts for; null for client_credentials tokens. */
  userId: string | null
  /** The authorization grant it belongs to (grant-store.ts); null for client_credentials tokens. */
  grantId?: string | null
  format: 'jwt' | 'opaque'
  /** base64url SHA-256 of an opaque token's text; null for a JWT. */
  tokenHash: string | null
  scope: string
  claims: Record<string, unknown>
  issuedAt: number
  expiresAt: number
}

/** Rows of expired tokens and assertions deleted per write, so the tables do not grow without end. */
const SWEEP = 50

/** The tables of the token service whose rows expire, with the column each is keyed by. */
const EXPIRING = {
  oauth_token: 'jti',
  oauth_assertion: 'rowid',
  oauth_code: 'code_hash',
  oauth_refresh: 'token_hash',
  oauth_request: 'handle_hash',
  oauth_session: 'session_hash',
  oauth_launch: 'launch_hash',
} as const

/**
 * The statement that deletes a few rows of `table` that expired before `before`, for the batch of a
 * write to it, so the tables do not grow without end (identifiers from EXPIRING only).
 */
export function sweepStatement(
  db: D1Database,
  table: keyof typeof EXPIRING,
  before: number
): D1PreparedStatement {
  const key = EXPIRING[table]
  return db
    .prepare(
      `DELETE FROM ${table} WHERE ${key} IN
         (SELECT ${key} FROM ${table} WHERE expires_at < ? ORDER BY expires_at LIMIT ${SWEEP})`
    )
    .bind(before)
}

/** The stored form of an opaque token: base64url of its SHA-256. */
export async function opaqueHash(token: string): Promise<string> {
  return toBase64Url(await sha256(token))
}

/**
 * Records an issued token, and sweeps a few expired ones, in one batch; `before` runs first in the same
 * batch (the statements of the grant the token is issued for: if one fails, no token is recorded).
 */
export async function recordToken(
  db: D1Database,
  record: TokenRecord,
  before: readonly D1PreparedStatement[] = []
): Promise<void> {
  await db.batch([
    ...before,
    db
      .prepare(
        `INSERT INTO oauth_token
           (jti, client_id, user_id, grant_id, format, token_hash, scope, claims, issued_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
      )
      .bind(
        record.jti,
        record.clientId,
        record.userId,
        record.grantId ?? null,
        record.format,
        record.tokenHash,
        record.scope,
        JSON.stringify(record.claims),
        record.issuedAt,
        record.expiresAt
      ),
    sweepStatement(db, 'oauth_token', record.issuedAt),
  ])
}

/** A live token's record (not revoked, not expired at `now`), by jti or by opaque hash; null otherwise. */
export async function liveToken(
  db: D1Database,
  key: { jti: string } | { tokenHash: string },
  now: number
): Promise<TokenRecord | null> {
  const [column, value] = 'jti' in key ? ['jti', key.jti] : ['token_hash', key.tokenHash]
  const row = await db
    .prepare(
      `SELECT jti, client_id, user_id, format, token_hash, scope, claims, issued_at, expires_at
         FROM oauth_token WHERE ${column} = ? AND revoked_at IS NULL AND expires_at > ?`
    )
    .bind(value, now)
    .first<Record<string, unknown>>()
  if (!row) return null
  return {
    jti: row.jti as string,
    clientId: row.client_id as string,
    userId: row.user_id as string | null,
    format: row.format as TokenRecord['format'],
    tokenHash: row.token_hash as string | null,
    scope: row.scope as string,
    claims: JSON.parse(row.claims as string) as Record<string, unknown>,
    issuedAt: row.issued_at as number,
    expiresAt: row.expires_at as number,
  }
}

/**
 * Revokes the token `key` names if `clientId` was issued it (RFC 7009 §2.1: a client revokes only its
 * own tokens); when a live token was revoked, the grant it belongs to (null for client_credentials),
 * else undefined.
 */
export async function revokeToken(
  db: D1Database,
  clientId: string,
  key: { jti: string } | { tokenHash: string },
  now: number
): Promise<{ grantId: string | null } | undefined> {
  const [column, value] = 'jti' in key ? ['jti', key.jti] : ['token_hash', key.tokenHash]
  const row = await db
    .prepare(
      `UPDATE oauth_token SET revoked_at = ?
        WHERE ${column} = ? AND client_id = ? AND revoked_at IS NULL RETURNING grant_id`
    )
    .bind(now, value, clientId)
    .first<{ grant_id: string | null }>()
  return row ? { grantId: row.grant_id } : undefined
}

/**
 * Revokes every live access and refresh token issued to `clientId` (its Client is deleted: a Client
 * registered later with the same id must not inherit them), or only its tokens of one kind: those of
 * `client_credentials` (no User) or of the authorization code grant (a User).
 */
export async function revokeClientTokens(
  db: D1Database,
  clientId: string,
  now: number,
  kind: 'all' | 'client_credentials' | 'authorization_code' = 'all'
): Promise<void> {
  const which = {
    all: '',
    client_credentials: 'AND user_id IS NULL',
    authorization_code: 'AND user_id IS NOT NULL',
  }[kind]
  const statements = [
    db
      .prepare(
        `UPDATE oauth_token SET revoked_at = ?
          WHERE client_id = ? AND revoked_at IS NULL AND expires_at > ? ${which}`
      )
      .bind(now, clientId, now),
  ]
  if (kind !== 'client_credentials') {
    statements.push(
      db
        .prepare(
          'UPDATE oauth_refresh SET revoked_at = ? WHERE client_id = ? AND revoked_at IS NULL'
        )
        .bind(now, clientId)
    )
  }
  await db.batch(statements)
}

/**
 * Cuts every access a User holds: revokes its live access and refresh tokens and ends its login
 * sessions (the User is deleted or disabled, or its password or fhirUser changed).
 */
export async function revokeUserTokens(db: D1Database, userId: string, now: number): Promise<void> {
  await db.batch([
    db
      .prepare('UPDATE oauth_session SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL')
      .bind(now, userId),
    db
      .prepare(
        `UPDATE oauth_token SET revoked_at = ?
          WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ?`
      )
      .bind(now, userId, now),
    db
      .prepare('UPDATE oauth_refresh SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL')
      .bind(now, userId),
  ])
}

/**
 * Records the jti of a client assertion until it expires; false when it is already recorded (a
 * replay). Expired ones are swept first, in the same batch.
 */
export async function rememberAssertion(
  db: D1Database,
  clientId: string,
  jti: string,
  expiresAt: number,
  now: number
): Promise<boolean> {
  const [, inserted] = await db.batch([
    sweepStatement(db, 'oauth_assertion', now),
    db
      .prepare(
        `INSERT INTO oauth_assertion (client_id, jti, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (client_id, jti) DO NOTHING`
      )
      .bind(clientId, jti, expiresAt),
  ])
  return inserted!.meta.changes > 0
}

/** The statement that fails its batch unless the token `jti` is live (see migration 0005). */
export function tokenGuardStatement(db: D1Database, jti: string, now: number): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO token_guard (live) SELECT NULL WHERE NOT EXISTS
         (SELECT 1 FROM oauth_token WHERE jti = ? AND revoked_at IS NULL AND expires_at > ?)`
    )
    .bind(jti, now)
}

/** Whether an error is the guard's refusal (the token is no longer live). */
export function isTokenGuardRefusal(err: unknown): boolean {
  return err instanceof Error && /NOT NULL constraint failed: token_guard\.live/.test(err.message)
}

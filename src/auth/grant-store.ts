// D1 records of the authorization code grant (migration 0008): codes and refresh tokens, both stored
// by the SHA-256 of their text only, the revocation of a whole grant (every access and refresh
// token issued from one authorization), and the list of a User's live grants (the page of allowed
// apps). The one place with SQL for these tables. Redeeming a code or a
// refresh token is one batch that starts with a guard (the token_guard trick of migration 0005): if the
// code or refresh token is no longer usable when the batch runs, the batch fails and nothing is issued,
// so two concurrent redemptions cannot both succeed.

import { randomBytes, sha256, toBase64Url } from '../lib/crypto.ts'
import { sweepStatement } from './token-store.ts'

/** What a person granted an app, as the code and the refresh tokens carry it. */
export interface GrantData {
  /** The User the tokens act for. */
  readonly user: string
  /** The granted scope, space-separated. */
  readonly scope: string
  /** Launch context: bare ids. */
  readonly patient?: string
  readonly encounter?: string
  /** The User's fhirUser reference (`Type/id`), when the `fhirUser` scope was granted. */
  readonly fhirUser?: string
  /** OpenID Connect `nonce` of the authorization request (codes only). */
  readonly nonce?: string
  /** When the person logged in (epoch seconds; OpenID Connect `auth_time`). */
  readonly authTime: number
  /** The login session an online_access grant lives in (its hash). */
  readonly session?: string
  /** SMART `need_patient_banner`: true unless an EHR launched the app. */
  readonly needPatientBanner: boolean
  /** When the grant's refresh tokens stop, rotation or not (epoch seconds; set at the code exchange). */
  readonly refreshUntil?: number
}

/** A code's record, by its hash. */
export interface CodeRecord {
  grantId: string
  clientId: string
  redirectUri: string
  codeChallenge: string
  grant: GrantData
  expiresAt: number
  usedAt: number | null
}

/** A refresh token's record, by its hash. */
export interface RefreshRecord {
  grantId: string
  clientId: string
  grant: GrantData
  expiresAt: number
  usedAt: number | null
  revokedAt: number | null
}

/** A random value for a cookie, handle, code or refresh token: 32 bytes, base64url (43 characters). */
export const randomValue = () => toBase64Url(randomBytes(32))

/** Whether `value` has the form randomValue gives (checked before any lookup). */
export const isRandomValue = (value: string | undefined): value is string =>
  value !== undefined && /^[\w-]{43}$/.test(value)

/** The stored form of a code, refresh token, handle or cookie value: base64url of its SHA-256. */
export async function secretHash(value: string): Promise<string> {
  return toBase64Url(await sha256(value))
}

/** Stores a new code (and sweeps a few expired ones) in one batch, after `before`. */
export async function storeCode(
  db: D1Database,
  codeHash: string,
  code: Omit<CodeRecord, 'usedAt'>,
  now: number,
  before: readonly D1PreparedStatement[] = []
): Promise<void> {
  await db.batch([
    ...before,
    db
      .prepare(
        `INSERT INTO oauth_code
           (code_hash, grant_id, client_id, redirect_uri, code_challenge, grant_data, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`
      )
      .bind(
        codeHash,
        code.grantId,
        code.clientId,
        code.redirectUri,
        code.codeChallenge,
        JSON.stringify(code.grant),
        code.expiresAt
      ),
    // Used codes are kept until they expire (plus a day), so a second use is recognised and revokes.
    sweepStatement(db, 'oauth_code', now - 86_400),
  ])
}

/** A code's record, used or not, expired or not; null when there is none. */
export async function readCode(db: D1Database, codeHash: string): Promise<CodeRecord | null> {
  const row = await db
    .prepare(
      `SELECT grant_id, client_id, redirect_uri, code_challenge, grant_data, expires_at, used_at
         FROM oauth_code WHERE code_hash = ?`
    )
    .bind(codeHash)
    .first<Record<string, unknown>>()
  if (!row) return null
  return {
    grantId: row.grant_id as string,
    clientId: row.client_id as string,
    redirectUri: row.redirect_uri as string,
    codeChallenge: row.code_challenge as string,
    grant: JSON.parse(row.grant_data as string) as GrantData,
    expiresAt: row.expires_at as number,
    usedAt: row.used_at as number | null,
  }
}

/** The SQL condition that login session `s.session_hash` is open at ?3 (or there is none: NULL). */
const SESSION_OPEN = `(s_hash IS NULL OR EXISTS (SELECT 1 FROM oauth_session s
  WHERE s.session_hash = s_hash AND s.ended_at IS NULL AND s.expires_at > ?3))`

/**
 * The statements that mark a code used, for the batch that issues its tokens: the first fails the
 * batch unless the code is still unused and unexpired at `now`, and the login session of an
 * online_access grant (`session`) is still open.
 */
export function redeemCodeStatements(
  db: D1Database,
  codeHash: string,
  session: string | undefined,
  now: number
): D1PreparedStatement[] {
  return [
    db
      .prepare(
        `INSERT INTO token_guard (live) SELECT NULL WHERE NOT EXISTS
           (SELECT 1 FROM oauth_code, (SELECT ?2 AS s_hash)
             WHERE code_hash = ?1 AND used_at IS NULL AND expires_at > ?3
               AND ${SESSION_OPEN})`
      )
      .bind(codeHash, session ?? null, now),
    db.prepare('UPDATE oauth_code SET used_at = ? WHERE code_hash = ?').bind(now, codeHash),
  ]
}

/** The statement that records a new refresh token (for the batch that issues the access token). */
export function storeRefreshStatement(
  db: D1Database,
  tokenHash: string,
  record: Omit<RefreshRecord, 'usedAt' | 'revokedAt'>,
  now: number
): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO oauth_refresh
         (token_hash, grant_id, client_id, user_id, session_hash, grant_data, issued_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
    )
    .bind(
      tokenHash,
      record.grantId,
      record.clientId,
      record.grant.user,
      record.grant.session ?? null,
      JSON.stringify(record.grant),
      now,
      record.expiresAt
    )
}

/** A refresh token's record, used, revoked or expired alike; null when there is none. */
export async function readRefresh(
  db: D1Database,
  tokenHash: string
): Promise<RefreshRecord | null> {
  const row = await db
    .prepare(
      `SELECT grant_id, client_id, grant_data, expires_at, used_at, revoked_at
         FROM oauth_refresh WHERE token_hash = ?`
    )
    .bind(tokenHash)
    .first<Record<string, unknown>>()
  if (!row) return null
  return {
    grantId: row.grant_id as string,
    clientId: row.client_id as string,
    grant: JSON.parse(row.grant_data as string) as GrantData,
    expiresAt: row.expires_at as number,
    usedAt: row.used_at as number | null,
    revokedAt: row.revoked_at as number | null,
  }
}

/**
 * The statements that retire a refresh token on rotation, for the batch that issues its successor:
 * the first fails the batch unless it is still unused, unrevoked and unexpired at `now`, and (for an
 * online_access grant) its session is still open. A few expired refresh tokens are swept.
 */
export function rotateRefreshStatements(
  db: D1Database,
  tokenHash: string,
  now: number
): D1PreparedStatement[] {
  return [
    db
      .prepare(
        `INSERT INTO token_guard (live) SELECT NULL WHERE NOT EXISTS
           (SELECT 1 FROM (SELECT session_hash AS s_hash FROM oauth_refresh WHERE token_hash = ?1
                             AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?3)
             WHERE ${SESSION_OPEN})`
      )
      .bind(tokenHash, null, now),
    db.prepare('UPDATE oauth_refresh SET used_at = ? WHERE token_hash = ?').bind(now, tokenHash),
    sweepStatement(db, 'oauth_refresh', now),
  ]
}

/** The grants a revocation covers: one grant by id, or those of a login session (by its hash). */
const GRANTS_OF = {
  grant: 'SELECT ?2',
  session: 'SELECT grant_id FROM oauth_refresh WHERE session_hash = ?2',
} as const

/** The statements that revoke every access and refresh token of the grants `of` `value` names. */
function revokeGrants(
  db: D1Database,
  of: keyof typeof GRANTS_OF,
  value: string,
  now: number
): D1PreparedStatement[] {
  const grants = GRANTS_OF[of]
  return [
    db
      .prepare(
        `UPDATE oauth_token SET revoked_at = ?1
          WHERE grant_id IN (${grants}) AND revoked_at IS NULL AND expires_at > ?1`
      )
      .bind(now, value),
    db
      .prepare(
        `UPDATE oauth_refresh SET revoked_at = ?1 WHERE grant_id IN (${grants}) AND revoked_at IS NULL`
      )
      .bind(now, value),
  ]
}

/** Revokes every access and refresh token of the grant `grantId` (RFC 6749 §4.1.2, §10.4). */
export async function revokeGrant(db: D1Database, grantId: string, now: number): Promise<void> {
  await db.batch(revokeGrants(db, 'grant', grantId, now))
}

/** The statements that revoke the grants living in login session `sessionHash` (it ended). */
export function revokeSessionGrantsStatements(
  db: D1Database,
  sessionHash: string,
  now: number
): D1PreparedStatement[] {
  return revokeGrants(db, 'session', sessionHash, now)
}

/** A grant a User holds, as the page of allowed apps lists it (listUserGrants). */
export interface UserGrant {
  readonly grantId: string
  readonly clientId: string
  /** The granted scope, space-separated (the refresh token's; else the access token's). */
  readonly scope: string
  readonly patient: string | null
  /** When the grant's first token was issued (epoch seconds): when the person allowed the app. */
  readonly allowedAt: number
  /** When its last live token expires (epoch seconds). */
  readonly until: number
}

/**
 * The live grants of `userId` at `now`, newest first, in one query: one per grant with a live refresh
 * token or a live access token acting for that User (SMART App Launch 2 `management_endpoint`).
 */
export async function listUserGrants(
  db: D1Database,
  userId: string,
  now: number
): Promise<UserGrant[]> {
  const { results } = await db
    .prepare(
      `WITH live AS (
         SELECT grant_id, client_id, 1 AS refresh, json_extract(grant_data, '$.scope') AS scope,
                json_extract(grant_data, '$.patient') AS patient, expires_at
           FROM oauth_refresh
          WHERE user_id = ?1 AND revoked_at IS NULL AND used_at IS NULL AND expires_at > ?2
         UNION ALL
         SELECT grant_id, client_id, 0, scope, json_extract(claims, '$.patient'), expires_at
           FROM oauth_token
          WHERE user_id = ?1 AND grant_id IS NOT NULL AND revoked_at IS NULL AND expires_at > ?2
       )
       SELECT grant_id, MIN(client_id) AS client_id,
              COALESCE(MAX(CASE WHEN refresh THEN scope END), MAX(scope)) AS scope,
              MAX(patient) AS patient, MAX(expires_at) AS until,
              (SELECT MIN(issued_at) FROM (
                 SELECT issued_at FROM oauth_refresh r WHERE r.grant_id = live.grant_id
                 UNION ALL
                 SELECT issued_at FROM oauth_token t WHERE t.grant_id = live.grant_id)) AS allowed_at
         FROM live GROUP BY grant_id ORDER BY allowed_at DESC, grant_id`
    )
    .bind(userId, now)
    .all<{
      grant_id: string
      client_id: string
      scope: string
      patient: string | null
      until: number
      allowed_at: number
    }>()
  return results.map((row) => ({
    grantId: row.grant_id,
    clientId: row.client_id,
    scope: row.scope,
    patient: row.patient,
    allowedAt: row.allowed_at,
    until: row.until,
  }))
}

/** Whether the grant `grantId` acts for `userId` (any of its refresh or access tokens, live or not). */
export async function isUserGrant(
  db: D1Database,
  userId: string,
  grantId: string
): Promise<boolean> {
  const row = await db
    .prepare(
      `SELECT EXISTS (SELECT 1 FROM oauth_refresh WHERE grant_id = ?1 AND user_id = ?2)
           OR EXISTS (SELECT 1 FROM oauth_token WHERE grant_id = ?1 AND user_id = ?2) AS own`
    )
    .bind(grantId, userId)
    .first<{ own: number }>()
  return row?.own === 1
}

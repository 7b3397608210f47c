-- Migration number: 0008 	 2026-12-08T04:00:00.000Z
-- SMART App Launch: the authorization code grant (docs/smart-app-launch.md). Every secret value a
-- browser or an app holds (request handle, browser and session cookies, codes, refresh tokens,
-- launch values) is stored only as the base64url SHA-256 of its text. Times are epoch seconds.

-- The authorization grant an access token belongs to (one per code redeemed; refreshes keep it), so a
-- code used twice, a refresh token revoked or a session ended revokes every token of its grant.
-- NULL for client_credentials tokens.
ALTER TABLE oauth_token ADD COLUMN grant_id TEXT;
CREATE INDEX oauth_token_grant ON oauth_token (grant_id) WHERE grant_id IS NOT NULL;

-- An authorization request between /auth/authorize and its answer: what the app asked for, checked,
-- bound to the browser that made it (browser_hash: the hash of its __Host- browser cookie).
CREATE TABLE oauth_request (
  handle_hash TEXT PRIMARY KEY,
  browser_hash TEXT NOT NULL,
  client_id TEXT NOT NULL,
  request TEXT NOT NULL,
  expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX oauth_request_expiry ON oauth_request (expires_at);

-- A person's login session in a browser (the __Host- session cookie). online_access refresh tokens
-- live only as long as the session they were granted in.
CREATE TABLE oauth_session (
  session_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  ended_at INTEGER
) STRICT;
CREATE INDEX oauth_session_expiry ON oauth_session (expires_at);

-- Authorization codes: single use (used_at), short-lived, bound to everything the token needs.
-- grant: JSON of the grant (user, scope, launch context, nonce, session).
CREATE TABLE oauth_code (
  code_hash TEXT PRIMARY KEY,
  grant_id TEXT NOT NULL,
  client_id TEXT NOT NULL,
  redirect_uri TEXT NOT NULL,
  code_challenge TEXT NOT NULL,
  grant_data TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
) STRICT;
CREATE INDEX oauth_code_expiry ON oauth_code (expires_at);

-- Refresh tokens: rotated on every use (used_at; a second use revokes the whole grant), bound to
-- the client, the grant's scope and context, and for online_access to the session.
CREATE TABLE oauth_refresh (
  token_hash TEXT PRIMARY KEY,
  grant_id TEXT NOT NULL,
  client_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  session_hash TEXT,
  grant_data TEXT NOT NULL,
  issued_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER,
  revoked_at INTEGER
) STRICT;
CREATE INDEX oauth_refresh_grant ON oauth_refresh (grant_id);
CREATE INDEX oauth_refresh_client ON oauth_refresh (client_id) WHERE revoked_at IS NULL;
CREATE INDEX oauth_refresh_user ON oauth_refresh (user_id) WHERE revoked_at IS NULL;
CREATE INDEX oauth_refresh_session ON oauth_refresh (session_hash) WHERE session_hash IS NOT NULL;
CREATE INDEX oauth_refresh_expiry ON oauth_refresh (expires_at);

-- EHR launch values (POST /auth/launch): single use, short-lived, bound to a client and a context.
CREATE TABLE oauth_launch (
  launch_hash TEXT PRIMARY KEY,
  client_id TEXT NOT NULL,
  context TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
) STRICT;
CREATE INDEX oauth_launch_expiry ON oauth_launch (expires_at);

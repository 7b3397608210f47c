-- Migration number: 0005 	 2026-12-08T01:50:00.000Z
-- The OAuth 2.0 token service (docs/oauth.md). D1 is strongly consistent, so a revocation written here
-- is seen by the next request in every isolate.
--
-- oauth_token: every access token issued, JWT or opaque. An opaque token is stored only as the
-- base64url SHA-256 of its text (token_hash); a JWT is found by its jti. claims is the JSON of the
-- claims the token carries (for an opaque token, the ones a JWT would carry). A token is live while
-- revoked_at is NULL and expires_at (epoch seconds) is in the future.
CREATE TABLE oauth_token (
  jti TEXT PRIMARY KEY,
  client_id TEXT NOT NULL,
  format TEXT NOT NULL CHECK (format IN ('jwt', 'opaque')),
  token_hash TEXT UNIQUE,
  scope TEXT NOT NULL,
  claims TEXT NOT NULL,
  issued_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER
) STRICT;
CREATE INDEX oauth_token_expiry ON oauth_token (expires_at);

-- The jti of every private_key_jwt client assertion accepted, until it expires: a second use is a
-- replay (RFC 7523 §3, SMART Backend Services).
CREATE TABLE oauth_assertion (
  client_id TEXT NOT NULL,
  jti TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (client_id, jti)
) STRICT;
CREATE INDEX oauth_assertion_expiry ON oauth_assertion (expires_at);

-- The guard of a bearer request: every db.batch() such a request makes starts with
--   INSERT INTO token_guard (live) SELECT NULL WHERE NOT EXISTS (<the token, live>)
-- A token revoked or gone makes that a NULL in a NOT NULL column, so the batch fails and rolls back
-- before any of its statements counts; a live token inserts nothing, so the table stays empty. The
-- check costs no round trip of its own (src/auth/token-guard.ts).
CREATE TABLE token_guard (
  live INTEGER NOT NULL
) STRICT;

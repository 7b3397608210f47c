-- Migration number: 0007 	 2026-12-08T03:10:00.000Z
-- The User a token acts for (authorization code grant; NULL for client_credentials tokens), so that
-- deleting or disabling a User revokes its live tokens at once (src/auth/token-store.ts
-- revokeUserTokens), as migration 0006 does for Clients.
ALTER TABLE oauth_token ADD COLUMN user_id TEXT;
CREATE INDEX oauth_token_user ON oauth_token (user_id, expires_at)
  WHERE revoked_at IS NULL AND user_id IS NOT NULL;

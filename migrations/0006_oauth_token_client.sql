-- Migration number: 0006 	 2026-12-08T02:30:00.000Z
-- A Client's tokens by client id: deleting or disabling a Client revokes every live token it holds
-- (src/auth/token-store.ts revokeClientTokens) without reading the whole table.
CREATE INDEX oauth_token_client ON oauth_token (client_id, expires_at) WHERE revoked_at IS NULL;

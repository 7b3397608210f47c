-- Migration number: 0009 	 2026-12-08T05:00:00.000Z
-- Login sessions by User, so that disabling or deleting a User, or changing its password or its
-- fhirUser, ends its sessions at once (src/auth/sessions.ts endUserSessions).
CREATE INDEX oauth_session_user ON oauth_session (user_id) WHERE ended_at IS NULL;

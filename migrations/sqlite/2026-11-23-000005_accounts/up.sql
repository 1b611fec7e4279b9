-- Sign-in sessions: each holds the hash of its current refresh token, which is replaced at
-- every refresh (rotation) and can be revoked (logout, or a stolen token used twice).
CREATE TABLE sessions (
    id           TEXT PRIMARY KEY NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    refresh_hash TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    revoked_at   BIGINT
);

CREATE INDEX sessions_user_idx ON sessions (user_id);

-- Secrets every instance must share (the token signing key), created by the first to start.
CREATE TABLE server_keys (
    name       TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

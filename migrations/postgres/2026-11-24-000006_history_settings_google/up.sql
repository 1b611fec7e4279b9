-- What a learner does with a result: token counts and the Sheets export on the entry, edits
-- that keep the engine's text, saved default settings, and a connected Google account.
ALTER TABLE history ADD COLUMN tokens_in BIGINT NOT NULL DEFAULT 0;
ALTER TABLE history ADD COLUMN tokens_out BIGINT NOT NULL DEFAULT 0;
ALTER TABLE history ADD COLUMN api_calls BIGINT NOT NULL DEFAULT 0;
ALTER TABLE history ADD COLUMN exported_to_sheets BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE history ADD COLUMN spreadsheet_id TEXT;
ALTER TABLE history ADD COLUMN sheet_url TEXT;
ALTER TABLE history ADD COLUMN exported_at BIGINT;
-- The file name as searches compare it (lowercased and composed by the server, the same on both
-- backends: SQLite's lower() knows only ASCII). Older rows get the ASCII approximation.
ALTER TABLE history ADD COLUMN search_key TEXT NOT NULL DEFAULT '';
UPDATE history SET search_key = lower(file_name);

-- The engine's text as it was before the learner's first edit (NULL while unedited), so an
-- edit never loses what the engine wrote.
ALTER TABLE sentences ADD COLUMN engine_text TEXT;
ALTER TABLE sentences ADD COLUMN edited_at BIGINT;

CREATE TABLE user_settings (
    user_id    TEXT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    settings   TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- One Google account per user, for the Sheets export. `needs_reconnect` is set when Google
-- refuses the refresh token (revoked, expired): the user must go through consent again.
CREATE TABLE google_accounts (
    user_id          TEXT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    access_token     TEXT NOT NULL,
    refresh_token    TEXT,
    access_expires_at BIGINT NOT NULL,
    scope            TEXT NOT NULL,
    connected_at     BIGINT NOT NULL,
    needs_reconnect  BOOLEAN NOT NULL DEFAULT FALSE
);

-- OAuth `state` values in flight: single-use, short-lived, each tied to the user who asked,
-- to the browser that asked (a cookie: a link to someone else's consent connects nothing) and
-- to the PKCE verifier of that request. Only hashes of the state and the cookie are kept.
CREATE TABLE oauth_states (
    state_hash    TEXT PRIMARY KEY NOT NULL,
    browser_hash  TEXT NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_verifier TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);

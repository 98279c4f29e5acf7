-- API tokens, the index of browser sessions per user, and pending OIDC sign-ins.
-- (The session records themselves live in the table tower-sessions-sqlx-store creates.)

CREATE TABLE api_tokens (
    id         TEXT    NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL,
    user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- SHA-256 of the token, lowercase hex; the token itself is never stored.
    token_hash TEXT    NOT NULL UNIQUE CHECK (length(token_hash) = 64),
    created    TEXT    NOT NULL,
    expires_at TEXT,
    last_used  TEXT,
    revoked    INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1))
) STRICT;
CREATE INDEX api_tokens_user_id ON api_tokens (user_id, created);

-- session_id is the tower-sessions id; update it when the id is cycled at sign-in.
CREATE TABLE user_sessions (
    session_id TEXT NOT NULL PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created    TEXT NOT NULL,
    last_seen  TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    ip         TEXT,
    user_agent TEXT
) STRICT;
CREATE INDEX user_sessions_user_id ON user_sessions (user_id, created);
CREATE INDEX user_sessions_expires_at ON user_sessions (expires_at);

-- Single-use: the callback deletes the row it consumes (DELETE … RETURNING).
CREATE TABLE auth_flows (
    state         TEXT NOT NULL PRIMARY KEY,
    nonce         TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    idp_id        TEXT REFERENCES identity_providers (id) ON DELETE CASCADE,
    return_to     TEXT,
    created       TEXT NOT NULL,
    expires_at    TEXT NOT NULL
) STRICT;
CREATE INDEX auth_flows_expires_at ON auth_flows (expires_at);
CREATE INDEX auth_flows_idp_id ON auth_flows (idp_id);

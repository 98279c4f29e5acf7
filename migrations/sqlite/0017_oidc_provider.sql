-- The portal as the OpenID Provider of the apps it shares (issue #22): each
-- OpenID Connect app's client registration, the provider's signing keys, and
-- the grants it has handed out — authorization codes, refresh tokens (rotating,
-- in families) and revoked access tokens — stored as hashes only.

-- An app integration's OAuth client. `settings` is JSON (redirect and
-- post-logout URIs, grant types, lifetimes, claims, a private_key_jwt client's
-- JWKS); the secret is kept as a SHA-256 hash (it is 256 random bits).
CREATE TABLE oauth_clients (
    app_id           TEXT NOT NULL PRIMARY KEY REFERENCES apps (id) ON DELETE CASCADE,
    client_id        TEXT NOT NULL UNIQUE,
    secret_hash      TEXT,
    auth_method      TEXT NOT NULL CHECK (auth_method IN
                         ('client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none')),
    application_type TEXT NOT NULL CHECK (application_type IN ('web', 'browser', 'native', 'service')),
    settings         TEXT NOT NULL CHECK (json_valid(settings) AND json_type(settings) = 'object'),
    last_updated     TEXT NOT NULL
) STRICT;

-- RS256 signing keys: the private key sealed with the secrets key. The newest
-- unretired key signs; a retired key stays in the JWKS until every token it
-- signed has expired.
CREATE TABLE oauth_signing_keys (
    kid            TEXT NOT NULL PRIMARY KEY,
    private_sealed TEXT NOT NULL,
    public_jwk     TEXT NOT NULL CHECK (json_valid(public_jwk)),
    created        TEXT NOT NULL,
    retired        TEXT
) STRICT;

-- Authorization codes: single use, short-lived. `access_jti` and `family_id`
-- name what the exchange issued, so a replayed code revokes it; `replayed`
-- marks one presented again (an exchange still under way then issues nothing).
CREATE TABLE oauth_codes (
    code_hash  TEXT NOT NULL PRIMARY KEY,
    app_id     TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    request    TEXT NOT NULL CHECK (json_valid(request)),
    created    TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used       TEXT,
    replayed   TEXT,
    access_jti TEXT,
    family_id  TEXT
) STRICT;
CREATE INDEX oauth_codes_expires ON oauth_codes (expires_at);

-- Refresh tokens. Each use rotates: the row is marked used and a new one of the
-- same family issued, in one transaction, with the family's expiry; presenting
-- a used one revokes the whole family.
CREATE TABLE oauth_refresh_tokens (
    token_hash TEXT NOT NULL PRIMARY KEY,
    family_id  TEXT NOT NULL,
    app_id     TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scope      TEXT NOT NULL,
    auth_time  INTEGER NOT NULL,
    access_jti TEXT NOT NULL,
    created    TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used       TEXT
) STRICT;
CREATE INDEX oauth_refresh_tokens_family ON oauth_refresh_tokens (family_id);
CREATE INDEX oauth_refresh_tokens_user ON oauth_refresh_tokens (user_id, app_id);
CREATE INDEX oauth_refresh_tokens_app ON oauth_refresh_tokens (app_id, user_id);

-- Access tokens (JWTs, by `jti`) revoked before they expire.
CREATE TABLE oauth_revoked_tokens (
    jti        TEXT NOT NULL PRIMARY KEY,
    expires_at TEXT NOT NULL
) STRICT;

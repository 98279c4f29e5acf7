-- Credentials the portal holds itself, for partner users without an identity
-- provider of their own (issue #21): a realm's sign-in policy, each user's
-- password and lockout state, the previous passwords a policy forbids again,
-- the enrolled authenticators (TOTP apps, passkeys) and the one-time links
-- (activation, recovery) mailed to users — stored as hashes only.

-- Whether a realm's users sign in with the portal's own credentials, and the
-- password and authenticator policy that applies to them. No row: the realm's
-- users sign in at an identity provider, with the defaults below for anyone who
-- nonetheless holds a portal password.
CREATE TABLE realm_sign_in_policies (
    realm_id         TEXT COLLATE "C"    NOT NULL PRIMARY KEY REFERENCES realms (id) ON DELETE CASCADE,
    hosted           BOOLEAN NOT NULL DEFAULT TRUE,
    min_length       BIGINT  NOT NULL DEFAULT 12 CHECK (min_length BETWEEN 8 AND 256),
    history_count    BIGINT  NOT NULL DEFAULT 4 CHECK (history_count BETWEEN 0 AND 24),
    max_age_days     BIGINT  NOT NULL DEFAULT 0 CHECK (max_age_days BETWEEN 0 AND 999),
    require_mfa      BOOLEAN NOT NULL DEFAULT FALSE,
    lockout_attempts BIGINT  NOT NULL DEFAULT 10 CHECK (lockout_attempts BETWEEN 0 AND 100),
    lockout_minutes  BIGINT  NOT NULL DEFAULT 15 CHECK (lockout_minutes BETWEEN 0 AND 10080),
    last_updated     TEXT    NOT NULL
);

-- A user's password (argon2id PHC string) and sign-in state.
CREATE TABLE user_passwords (
    user_id          TEXT COLLATE "C"    NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    hash             TEXT    NOT NULL,
    changed          TEXT    NOT NULL,
    expired          BOOLEAN NOT NULL DEFAULT FALSE,
    failed_attempts  BIGINT  NOT NULL DEFAULT 0,
    locked_until     TEXT
);

-- Earlier passwords (hashes), newest first by `created`.
CREATE TABLE password_history (
    user_id TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    hash    TEXT NOT NULL,
    created TEXT NOT NULL
);
CREATE INDEX password_history_user ON password_history (user_id, created);

-- Enrolled authenticators. TOTP: the shared secret sealed with the server's
-- secrets key, and the last time step accepted (no replay). WebAuthn: the
-- passkey as webauthn-rs serialises it, keyed by its credential id.
CREATE TABLE authenticators (
    id            TEXT COLLATE "C"    NOT NULL PRIMARY KEY,
    user_id       TEXT COLLATE "C"    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind          TEXT    NOT NULL CHECK (kind IN ('TOTP', 'WEBAUTHN')),
    name          TEXT    NOT NULL,
    secret_sealed TEXT,
    last_step     BIGINT  NOT NULL DEFAULT 0,
    credential_id TEXT COLLATE "C" UNIQUE,
    passkey       TEXT,
    created       TEXT    NOT NULL,
    last_used     TEXT
);
CREATE INDEX authenticators_user ON authenticators (user_id, created);

-- One-time links: only the SHA-256 of the token is kept. Sending a newer link
-- of a purpose deletes the older ones; using one marks it used.
CREATE TABLE user_tokens (
    token_hash TEXT NOT NULL PRIMARY KEY,
    user_id    TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('ACTIVATION', 'RECOVERY')),
    created    TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used       TEXT
);
CREATE INDEX user_tokens_user ON user_tokens (user_id, purpose);

-- CSV imports of users into a realm: the uploaded file checked row by row
-- (the preview: nothing written to the directory), then, once started, run in
-- the background as the admin who uploaded it, one user (and its events) at a
-- time, resumed at start if the server stopped mid-way. The realm and the users
-- created are snapshots, not foreign keys: an import does not block deleting
-- either later.
CREATE TABLE user_imports (
    id          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    realm_id    TEXT COLLATE "C" NOT NULL,
    actor_id    TEXT COLLATE "C" NOT NULL,
    file_name   TEXT    NOT NULL,
    activate    BOOLEAN NOT NULL DEFAULT FALSE,
    -- Columns of the file that were ignored (Okta template columns the portal
    -- does not keep), one per line.
    ignored     TEXT    NOT NULL DEFAULT '',
    status      TEXT    NOT NULL DEFAULT 'PREVIEW'
                        CHECK (status IN ('PREVIEW', 'IN_PROGRESS', 'COMPLETED', 'FAILED')),
    created     TEXT    NOT NULL,
    started     TEXT,
    completed   TEXT,
    num_rows    BIGINT  NOT NULL DEFAULT 0,
    num_valid   BIGINT  NOT NULL DEFAULT 0,
    num_created BIGINT  NOT NULL DEFAULT 0,
    num_skipped BIGINT  NOT NULL DEFAULT 0,
    num_failed  BIGINT  NOT NULL DEFAULT 0,
    message     TEXT
);
CREATE INDEX user_imports_status ON user_imports (status, created);
CREATE INDEX user_imports_actor_id ON user_imports (actor_id, created);

-- One row per data line of the file: its values (attribute name → text), its
-- preview verdict (VALID / INVALID), then its result (PENDING → CREATED or
-- FAILED; INVALID lines are SKIPPED).
CREATE TABLE user_import_rows (
    import_id TEXT COLLATE "C" NOT NULL REFERENCES user_imports (id) ON DELETE CASCADE,
    line      BIGINT  NOT NULL,
    login     TEXT    NOT NULL,
    profile   TEXT    NOT NULL CHECK (jsonb_typeof(profile::jsonb) = 'object'),
    result    TEXT    NOT NULL CHECK (result IN ('VALID', 'INVALID', 'PENDING', 'CREATED',
                                                 'SKIPPED', 'FAILED')),
    message   TEXT,
    user_id   TEXT COLLATE "C",
    PRIMARY KEY (import_id, line)
);
CREATE INDEX user_import_rows_result ON user_import_rows (import_id, result, line);

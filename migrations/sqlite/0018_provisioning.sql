-- App provisioning (issue #23): each app's provisioning connection (a SCIM 2.0
-- service provider, or an Okta org's Management API for Org2Org), the
-- accounts it has made or linked in the app, the groups it pushes, and the
-- outbox of changes still to deliver.

-- One connection per app. The credential (bearer token, basic password or
-- SSWS API token) is sealed with the secrets key. `features` and `mappings`
-- are JSON: which of Okta's provisioning features are on, and which app
-- attribute each portal expression fills. `import_by`: the admin whose rights
-- scheduled imports run with.
CREATE TABLE app_provisioning (
    app_id        TEXT NOT NULL PRIMARY KEY REFERENCES apps (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('SCIM2', 'OKTA_ORG2ORG')),
    base_url      TEXT NOT NULL,
    auth_scheme   TEXT NOT NULL CHECK (auth_scheme IN ('BEARER', 'BASIC', 'SSWS')),
    username      TEXT,
    secret_sealed TEXT NOT NULL,
    extensions    TEXT NOT NULL CHECK (json_valid(extensions) AND json_type(extensions) = 'array'),
    features      TEXT NOT NULL CHECK (json_valid(features) AND json_type(features) = 'object'),
    mappings      TEXT NOT NULL CHECK (json_valid(mappings) AND json_type(mappings) = 'array'),
    import_every_minutes INTEGER NOT NULL DEFAULT 0,
    last_import   TEXT,
    import_by     TEXT,
    last_updated  TEXT NOT NULL
) STRICT;

-- The app's account for a portal user: made or linked by provisioning (or by
-- an import). Kept when the portal user is deleted, so the account can still
-- be deactivated; `state` is what the app was last told.
CREATE TABLE app_user_links (
    app_id         TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL,
    external_id    TEXT NOT NULL,
    external_login TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('ACTIVE', 'INACTIVE')),
    last_sync      TEXT NOT NULL,
    PRIMARY KEY (app_id, user_id)
) STRICT;
CREATE UNIQUE INDEX app_user_links_external ON app_user_links (app_id, external_id);

-- Okta's group push mappings: a portal group pushed to the app as a new
-- group (target_group_name) or linked to an existing one (target_group_id).
CREATE TABLE group_push_mappings (
    id                TEXT NOT NULL PRIMARY KEY,
    app_id            TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    source_group_id   TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    target_group_id   TEXT,
    target_group_name TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('ACTIVE', 'INACTIVE', 'ERROR')),
    error_summary     TEXT,
    last_push         TEXT,
    created           TEXT NOT NULL,
    last_updated      TEXT NOT NULL,
    UNIQUE (app_id, source_group_id)
) STRICT;

-- The outbox: what a change leaves to deliver, written in the change's own
-- transaction. A task asks the worker to bring one user's account (or one
-- pushed group) in the app in line with the portal as it is when the task
-- runs, so tasks are idempotent; at most one task per subject waits
-- (QUEUED), and a subject's next task waits while one RUNNING holds a lease.
-- FAILED tasks wait for an admin to retry or dismiss them.
CREATE TABLE provisioning_tasks (
    id           INTEGER NOT NULL PRIMARY KEY,
    app_id       TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    subject      TEXT NOT NULL CHECK (subject IN ('user', 'group')),
    subject_id   TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('QUEUED', 'RUNNING', 'FAILED')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    run_at       TEXT NOT NULL,
    locked_by    TEXT,
    locked_until TEXT,
    last_error   TEXT,
    created      TEXT NOT NULL,
    updated      TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX provisioning_tasks_waiting ON provisioning_tasks (app_id, subject, subject_id)
    WHERE status = 'QUEUED';
CREATE INDEX provisioning_tasks_due ON provisioning_tasks (status, run_at);
CREATE INDEX provisioning_tasks_subject ON provisioning_tasks (subject_id, app_id);

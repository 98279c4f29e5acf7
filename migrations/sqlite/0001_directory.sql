-- The directory: realms, users, groups, apps, identity providers, realm assignment.
--
-- Conventions shared with migrations/postgres (same tables, same column names):
--   ids        TEXT, opaque prefixed random strings generated in Rust
--   timestamps TEXT, RFC 3339 UTC with milliseconds: YYYY-MM-DDTHH:MM:SS.sssZ
--   booleans   INTEGER 0/1 here, BOOLEAN in PostgreSQL
--   integers   INTEGER here, BIGINT in PostgreSQL
--   JSON       TEXT holding JSON
-- Tables are STRICT; pure association tables are WITHOUT ROWID.

CREATE TABLE realms (
    id           TEXT    NOT NULL PRIMARY KEY,
    name         TEXT    NOT NULL,
    realm_type   TEXT    NOT NULL CHECK (realm_type IN ('DEFAULT', 'PARTNER')),
    is_default   INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
    domains      TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(domains) AND json_type(domains) = 'array'),
    created      TEXT    NOT NULL,
    last_updated TEXT    NOT NULL,
    CHECK (NOT is_default OR realm_type = 'DEFAULT')
) STRICT;
CREATE UNIQUE INDEX realms_name_key ON realms (lower(name));
CREATE UNIQUE INDEX realms_one_default ON realms (is_default) WHERE is_default;

CREATE TRIGGER realms_default_is_permanent_del BEFORE DELETE ON realms
WHEN OLD.is_default
BEGIN
    SELECT RAISE(ABORT, 'the default realm cannot be deleted');
END;
CREATE TRIGGER realms_default_is_permanent_upd BEFORE UPDATE OF is_default ON realms
WHEN OLD.is_default <> NEW.is_default
BEGIN
    SELECT RAISE(ABORT, 'is_default cannot be changed');
END;

-- Custom user profile attributes (the base attributes are columns of users).
CREATE TABLE user_profile_schema (
    name         TEXT    NOT NULL PRIMARY KEY,
    title        TEXT    NOT NULL,
    type         TEXT    NOT NULL CHECK (type IN ('string', 'boolean', 'integer', 'number')),
    required     INTEGER NOT NULL DEFAULT 0 CHECK (required IN (0, 1)),
    created      TEXT    NOT NULL,
    last_updated TEXT    NOT NULL
) STRICT;

CREATE TABLE identity_providers (
    id                TEXT    NOT NULL PRIMARY KEY,
    name              TEXT    NOT NULL,
    type              TEXT    NOT NULL DEFAULT 'OIDC' CHECK (type IN ('OIDC', 'SAML2')),
    status            TEXT    NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'INACTIVE')),
    issuer            TEXT    NOT NULL,
    client_id         TEXT,
    client_secret_enc TEXT,
    scopes            TEXT    NOT NULL DEFAULT '["openid","email","profile"]'
                              CHECK (json_valid(scopes) AND json_type(scopes) = 'array'),
    claim_mapping     TEXT    NOT NULL DEFAULT '{}'
                              CHECK (json_valid(claim_mapping) AND json_type(claim_mapping) = 'object'),
    -- The realm this IdP is bound to: JIT users land here when no realm assignment
    -- rule for this profile source matches, and the IdP may only sign in users of it.
    -- NULL: unbound (placement by the rules, ending with the catch-all).
    realm_id          TEXT    REFERENCES realms (id) ON DELETE RESTRICT,
    jit_enabled       INTEGER NOT NULL DEFAULT 0 CHECK (jit_enabled IN (0, 1)),
    routing_domains   TEXT    NOT NULL DEFAULT '[]'
                              CHECK (json_valid(routing_domains) AND json_type(routing_domains) = 'array'),
    created           TEXT    NOT NULL,
    last_updated      TEXT    NOT NULL,
    CHECK (type <> 'OIDC' OR client_id IS NOT NULL)
) STRICT;
CREATE UNIQUE INDEX identity_providers_name_key ON identity_providers (lower(name));
CREATE INDEX identity_providers_realm_id ON identity_providers (realm_id);

CREATE TABLE users (
    id                      TEXT    NOT NULL PRIMARY KEY,
    realm_id                TEXT    NOT NULL REFERENCES realms (id) ON DELETE RESTRICT,
    status                  TEXT    NOT NULL CHECK (status IN ('STAGED', 'PROVISIONED', 'ACTIVE', 'RECOVERY',
                                        'LOCKED_OUT', 'PASSWORD_EXPIRED', 'SUSPENDED', 'DEPROVISIONED')),
    transitioning_to_status TEXT    CHECK (transitioning_to_status IN ('ACTIVE', 'DEPROVISIONED', 'PROVISIONED')),
    login                   TEXT    NOT NULL,
    -- Unicode-lowercased login, computed in Rust; the case-insensitive identity.
    login_lower             TEXT    NOT NULL CHECK (login_lower = lower(login_lower)),
    email                   TEXT    NOT NULL,
    second_email            TEXT,
    first_name              TEXT    NOT NULL,
    last_name               TEXT    NOT NULL,
    middle_name             TEXT,
    primary_phone           TEXT,
    mobile_phone            TEXT,
    custom_profile          TEXT    NOT NULL DEFAULT '{}'
                                    CHECK (json_valid(custom_profile) AND json_type(custom_profile) = 'object'),
    profile_source_id       TEXT    REFERENCES identity_providers (id) ON DELETE SET NULL,
    created                 TEXT    NOT NULL,
    activated               TEXT,
    status_changed          TEXT,
    last_login              TEXT,
    last_updated            TEXT    NOT NULL,
    password_changed        TEXT,
    version                 INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1)
) STRICT;
CREATE UNIQUE INDEX users_login_key ON users (login_lower);
CREATE INDEX users_realm_id ON users (realm_id, id);
CREATE INDEX users_realm_name ON users (realm_id, last_name, first_name, id);
CREATE INDEX users_status ON users (status, id);
CREATE INDEX users_name ON users (last_name, first_name, id);
CREATE INDEX users_email ON users (lower(email));
CREATE INDEX users_profile_source_id ON users (profile_source_id);

CREATE TRIGGER users_delete_only_deprovisioned BEFORE DELETE ON users
WHEN OLD.status <> 'DEPROVISIONED'
BEGIN
    SELECT RAISE(ABORT, 'only a DEPROVISIONED user can be deleted');
END;

-- Which IdP subject is which user (the OIDC `sub` of a partner IdP).
CREATE TABLE idp_user_links (
    idp_id       TEXT NOT NULL REFERENCES identity_providers (id) ON DELETE CASCADE,
    external_id  TEXT NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created      TEXT NOT NULL,
    last_updated TEXT NOT NULL,
    PRIMARY KEY (idp_id, external_id),
    UNIQUE (idp_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX idp_user_links_user_id ON idp_user_links (user_id);

CREATE TABLE groups (
    id                      TEXT NOT NULL PRIMARY KEY,
    name                    TEXT NOT NULL,
    description             TEXT,
    group_type              TEXT NOT NULL DEFAULT 'OKTA_GROUP'
                                 CHECK (group_type IN ('OKTA_GROUP', 'APP_GROUP', 'BUILT_IN')),
    created                 TEXT NOT NULL,
    last_updated            TEXT NOT NULL,
    last_membership_updated TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX groups_name_key ON groups (lower(name));
CREATE INDEX groups_name ON groups (name, id);

CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created  TEXT NOT NULL,
    PRIMARY KEY (group_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX group_members_user_id ON group_members (user_id, group_id);

CREATE TABLE apps (
    id           TEXT NOT NULL PRIMARY KEY,
    name         TEXT NOT NULL,
    label        TEXT NOT NULL,
    sign_on_mode TEXT NOT NULL CHECK (sign_on_mode IN ('AUTO_LOGIN', 'BASIC_AUTH', 'BOOKMARK', 'BROWSER_PLUGIN',
                     'OPENID_CONNECT', 'SAML_1_1', 'SAML_2_0', 'SECURE_PASSWORD_STORE', 'WS_FEDERATION')),
    status       TEXT NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'INACTIVE')),
    settings     TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(settings) AND json_type(settings) = 'object'),
    created      TEXT NOT NULL,
    last_updated TEXT NOT NULL
) STRICT;
CREATE INDEX apps_label ON apps (label, id);
CREATE INDEX apps_name ON apps (name, id);

-- Direct assignments only; assignments inherited through groups are computed.
CREATE TABLE app_user_assignments (
    app_id  TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created TEXT NOT NULL,
    PRIMARY KEY (app_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX app_user_assignments_user_id ON app_user_assignments (user_id, app_id);

CREATE TABLE app_group_assignments (
    app_id   TEXT    NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    group_id TEXT    NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    priority INTEGER NOT NULL DEFAULT 0 CHECK (priority >= 0),
    created  TEXT    NOT NULL,
    PRIMARY KEY (app_id, group_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX app_group_assignments_group_id ON app_group_assignments (group_id, app_id);

-- Lower priority number wins. The catch-all (is_default) has no conditions.
CREATE TABLE realm_assignment_rules (
    id                TEXT    NOT NULL PRIMARY KEY,
    name              TEXT    NOT NULL,
    priority          INTEGER NOT NULL CHECK (priority >= 0),
    status            TEXT    NOT NULL DEFAULT 'INACTIVE' CHECK (status IN ('ACTIVE', 'INACTIVE')),
    is_default        INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
    profile_source_id TEXT    REFERENCES identity_providers (id) ON DELETE RESTRICT,
    expression        TEXT,
    target_realm_id   TEXT    NOT NULL REFERENCES realms (id) ON DELETE RESTRICT,
    created           TEXT    NOT NULL,
    last_updated      TEXT    NOT NULL,
    CHECK (NOT is_default OR (status = 'ACTIVE' AND profile_source_id IS NULL AND expression IS NULL))
) STRICT;
CREATE UNIQUE INDEX realm_assignment_rules_priority_key ON realm_assignment_rules (priority);
CREATE UNIQUE INDEX realm_assignment_rules_one_default ON realm_assignment_rules (is_default) WHERE is_default;
CREATE INDEX realm_assignment_rules_profile_source_id ON realm_assignment_rules (profile_source_id);
CREATE INDEX realm_assignment_rules_target_realm_id ON realm_assignment_rules (target_realm_id);

CREATE TRIGGER realm_assignment_rules_default_is_permanent_del BEFORE DELETE ON realm_assignment_rules
WHEN OLD.is_default
BEGIN
    SELECT RAISE(ABORT, 'the catch-all realm assignment rule cannot be deleted');
END;
CREATE TRIGGER realm_assignment_rules_default_is_permanent_upd BEFORE UPDATE OF is_default ON realm_assignment_rules
WHEN OLD.is_default <> NEW.is_default
BEGIN
    SELECT RAISE(ABORT, 'is_default cannot be changed');
END;

-- A planned (dry-run) or executed move of users between realms. actor_id is the
-- admin's user id (or the system principal's) and is kept after that user is gone.
CREATE TABLE realm_assignment_operations (
    id            TEXT    NOT NULL PRIMARY KEY,
    kind          TEXT    NOT NULL CHECK (kind IN ('RULE', 'BULK_MOVE')),
    rule_id       TEXT    REFERENCES realm_assignment_rules (id) ON DELETE SET NULL,
    -- The rule (conditions, actions) or bulk-move request as it was when planned.
    configuration TEXT    CHECK (configuration IS NULL
                                 OR (json_valid(configuration) AND json_type(configuration) = 'object')),
    status        TEXT    NOT NULL DEFAULT 'PLANNED' CHECK (status IN ('PLANNED', 'SCHEDULED', 'IN_PROGRESS',
                                                                        'COMPLETED', 'FAILED', 'CANCELED')),
    created       TEXT    NOT NULL,
    started       TEXT,
    completed     TEXT,
    num_planned   INTEGER NOT NULL DEFAULT 0,
    num_moved     INTEGER NOT NULL DEFAULT 0,
    num_skipped   INTEGER NOT NULL DEFAULT 0,
    num_failed    INTEGER NOT NULL DEFAULT 0,
    actor_id      TEXT    NOT NULL
) STRICT;
CREATE INDEX realm_assignment_operations_created ON realm_assignment_operations (created, id);
CREATE INDEX realm_assignment_operations_status ON realm_assignment_operations (status, created);
CREATE INDEX realm_assignment_operations_rule_id ON realm_assignment_operations (rule_id);

-- One row per user in the plan. from/to realm ids are a snapshot, not foreign keys:
-- a realm emptied and deleted later must not be blocked by old operations.
CREATE TABLE realm_assignment_operation_items (
    operation_id  TEXT    NOT NULL REFERENCES realm_assignment_operations (id) ON DELETE CASCADE,
    user_id       TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    from_realm_id TEXT    NOT NULL,
    to_realm_id   TEXT    NOT NULL,
    user_version  INTEGER NOT NULL,
    result        TEXT    NOT NULL DEFAULT 'PENDING'
                          CHECK (result IN ('PENDING', 'MOVED', 'SKIPPED_CHANGED', 'FAILED', 'CANCELED')),
    message       TEXT,
    PRIMARY KEY (operation_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX realm_assignment_operation_items_result ON realm_assignment_operation_items (operation_id, result, user_id);
CREATE INDEX realm_assignment_operation_items_user_id ON realm_assignment_operation_items (user_id);

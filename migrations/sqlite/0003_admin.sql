-- The admin model: standard role assignments, custom roles, resource sets, bindings.
-- Members are (member_type, member_id) pairs, USER or GROUP; rows naming a deleted
-- user or group are removed by the triggers at the end.

-- Standard roles (SUPER_ADMIN, ORG_ADMIN, READ_ONLY_ADMIN) are not rows; only their
-- assignments are. id is the Okta role-assignment id.
CREATE TABLE standard_role_assignments (
    id          TEXT NOT NULL UNIQUE,
    member_type TEXT NOT NULL CHECK (member_type IN ('USER', 'GROUP')),
    member_id   TEXT NOT NULL,
    role_type   TEXT NOT NULL CHECK (role_type IN ('SUPER_ADMIN', 'ORG_ADMIN', 'READ_ONLY_ADMIN')),
    created     TEXT NOT NULL,
    PRIMARY KEY (member_type, member_id, role_type)
) STRICT, WITHOUT ROWID;
CREATE INDEX standard_role_assignments_role_type ON standard_role_assignments (role_type);

-- Custom roles.
CREATE TABLE roles (
    id           TEXT NOT NULL PRIMARY KEY,
    label        TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    created      TEXT NOT NULL,
    last_updated TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX roles_label_key ON roles (lower(label));

CREATE TABLE role_permissions (
    role_id      TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    permission   TEXT NOT NULL CHECK (permission LIKE 'okta.%'),
    conditions   TEXT CHECK (conditions IS NULL OR (json_valid(conditions) AND json_type(conditions) = 'object')),
    created      TEXT NOT NULL,
    last_updated TEXT NOT NULL,
    PRIMARY KEY (role_id, permission)
) STRICT, WITHOUT ROWID;

CREATE TABLE resource_sets (
    id           TEXT NOT NULL PRIMARY KEY,
    label        TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    created      TEXT NOT NULL,
    last_updated TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX resource_sets_label_key ON resource_sets (lower(label));

-- orn is the canonical ORN (REST URLs are converted in Rust before storing).
CREATE TABLE resource_set_resources (
    id              TEXT NOT NULL PRIMARY KEY,
    resource_set_id TEXT NOT NULL REFERENCES resource_sets (id) ON DELETE CASCADE,
    orn             TEXT NOT NULL CHECK (orn LIKE 'orn:%'),
    conditions      TEXT CHECK (conditions IS NULL OR (json_valid(conditions) AND json_type(conditions) = 'object')),
    created         TEXT NOT NULL,
    last_updated    TEXT NOT NULL,
    UNIQUE (resource_set_id, orn)
) STRICT;
CREATE INDEX resource_set_resources_orn ON resource_set_resources (orn);

-- A binding's Okta id is its role id (unique within the resource set).
CREATE TABLE bindings (
    resource_set_id TEXT NOT NULL REFERENCES resource_sets (id) ON DELETE CASCADE,
    role_id         TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    created         TEXT NOT NULL,
    PRIMARY KEY (resource_set_id, role_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX bindings_role_id ON bindings (role_id);

-- id is the Okta binding-member id (…/bindings/{role}/members/{memberId}).
CREATE TABLE binding_members (
    id              TEXT NOT NULL UNIQUE,
    resource_set_id TEXT NOT NULL,
    role_id         TEXT NOT NULL,
    member_type     TEXT NOT NULL CHECK (member_type IN ('USER', 'GROUP')),
    member_id       TEXT NOT NULL,
    created         TEXT NOT NULL,
    PRIMARY KEY (resource_set_id, role_id, member_type, member_id),
    FOREIGN KEY (resource_set_id, role_id) REFERENCES bindings (resource_set_id, role_id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
CREATE INDEX binding_members_member ON binding_members (member_type, member_id);

CREATE TRIGGER users_delete_admin_memberships AFTER DELETE ON users
BEGIN
    DELETE FROM standard_role_assignments WHERE member_type = 'USER' AND member_id = OLD.id;
    DELETE FROM binding_members WHERE member_type = 'USER' AND member_id = OLD.id;
END;

CREATE TRIGGER groups_delete_admin_memberships AFTER DELETE ON groups
BEGIN
    DELETE FROM standard_role_assignments WHERE member_type = 'GROUP' AND member_id = OLD.id;
    DELETE FROM binding_members WHERE member_type = 'GROUP' AND member_id = OLD.id;
END;

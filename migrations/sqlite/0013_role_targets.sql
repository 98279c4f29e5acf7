-- The ten standard roles of Okta's role assignment guide, and their targets.
--
-- role_type's CHECK widens from three roles to ten: SQLite cannot alter a CHECK,
-- so the table is rebuilt with its rows (the member triggers of 0003 name it and
-- are recreated around the rebuild).
--
-- Targets narrow a standard role, as Okta's role target operations do: an
-- assignment without targets is org-wide; with targets it reaches only them.
-- APP_ADMIN takes apps; USER_ADMIN, HELP_DESK_ADMIN and GROUP_MEMBERSHIP_ADMIN
-- take groups (the store and authz refuse the others). A target goes with its
-- group or app and with its assignment; an assignment whose last target goes
-- (its group or app was deleted) goes too, so that it never widens to the
-- whole org by itself.
DROP TRIGGER users_delete_admin_memberships;
DROP TRIGGER groups_delete_admin_memberships;

CREATE TABLE standard_role_assignments_new (
    id          TEXT NOT NULL UNIQUE,
    member_type TEXT NOT NULL CHECK (member_type IN ('USER', 'GROUP')),
    member_id   TEXT NOT NULL,
    role_type   TEXT NOT NULL CHECK (role_type IN ('SUPER_ADMIN', 'ORG_ADMIN', 'APP_ADMIN', 'USER_ADMIN',
                    'HELP_DESK_ADMIN', 'GROUP_MEMBERSHIP_ADMIN', 'READ_ONLY_ADMIN', 'REPORT_ADMIN',
                    'API_ACCESS_MANAGEMENT_ADMIN', 'MOBILE_ADMIN')),
    created     TEXT NOT NULL,
    PRIMARY KEY (member_type, member_id, role_type)
) STRICT, WITHOUT ROWID;
INSERT INTO standard_role_assignments_new (id, member_type, member_id, role_type, created)
    SELECT id, member_type, member_id, role_type, created FROM standard_role_assignments;
DROP TABLE standard_role_assignments;
ALTER TABLE standard_role_assignments_new RENAME TO standard_role_assignments;
CREATE INDEX standard_role_assignments_role_type ON standard_role_assignments (role_type);

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

CREATE TABLE standard_role_group_targets (
    assignment_id TEXT NOT NULL REFERENCES standard_role_assignments (id) ON DELETE CASCADE,
    group_id      TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    created       TEXT NOT NULL,
    PRIMARY KEY (assignment_id, group_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX standard_role_group_targets_group_id ON standard_role_group_targets (group_id);

CREATE TABLE standard_role_app_targets (
    assignment_id TEXT NOT NULL REFERENCES standard_role_assignments (id) ON DELETE CASCADE,
    app_id        TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    created       TEXT NOT NULL,
    PRIMARY KEY (assignment_id, app_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX standard_role_app_targets_app_id ON standard_role_app_targets (app_id);

CREATE TRIGGER standard_role_group_targets_last AFTER DELETE ON standard_role_group_targets
WHEN NOT EXISTS (SELECT 1 FROM standard_role_group_targets WHERE assignment_id = OLD.assignment_id)
BEGIN
    DELETE FROM standard_role_assignments WHERE id = OLD.assignment_id;
END;

CREATE TRIGGER standard_role_app_targets_last AFTER DELETE ON standard_role_app_targets
WHEN NOT EXISTS (SELECT 1 FROM standard_role_app_targets WHERE assignment_id = OLD.assignment_id)
BEGIN
    DELETE FROM standard_role_assignments WHERE id = OLD.assignment_id;
END;

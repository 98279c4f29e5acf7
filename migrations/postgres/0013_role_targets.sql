-- The ten standard roles of Okta's role assignment guide, and their targets.
--
-- Targets narrow a standard role, as Okta's role target operations do: an
-- assignment without targets is org-wide; with targets it reaches only them.
-- APP_ADMIN takes apps; USER_ADMIN, HELP_DESK_ADMIN and GROUP_MEMBERSHIP_ADMIN
-- take groups (the store and authz refuse the others). A target goes with its
-- group or app and with its assignment; an assignment whose last target goes
-- (its group or app was deleted) goes too, so that it never widens to the
-- whole org by itself.
ALTER TABLE standard_role_assignments DROP CONSTRAINT standard_role_assignments_role_type_check;
ALTER TABLE standard_role_assignments ADD CONSTRAINT standard_role_assignments_role_type_check
    CHECK (role_type IN ('SUPER_ADMIN', 'ORG_ADMIN', 'APP_ADMIN', 'USER_ADMIN',
        'HELP_DESK_ADMIN', 'GROUP_MEMBERSHIP_ADMIN', 'READ_ONLY_ADMIN', 'REPORT_ADMIN',
        'API_ACCESS_MANAGEMENT_ADMIN', 'MOBILE_ADMIN'));

CREATE TABLE standard_role_group_targets (
    assignment_id TEXT COLLATE "C" NOT NULL REFERENCES standard_role_assignments (id) ON DELETE CASCADE,
    group_id      TEXT COLLATE "C" NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    created       TEXT NOT NULL,
    PRIMARY KEY (assignment_id, group_id)
);
CREATE INDEX standard_role_group_targets_group_id ON standard_role_group_targets (group_id);

CREATE TABLE standard_role_app_targets (
    assignment_id TEXT COLLATE "C" NOT NULL REFERENCES standard_role_assignments (id) ON DELETE CASCADE,
    app_id        TEXT COLLATE "C" NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    created       TEXT NOT NULL,
    PRIMARY KEY (assignment_id, app_id)
);
CREATE INDEX standard_role_app_targets_app_id ON standard_role_app_targets (app_id);

-- TG_ARGV[0]: the targets table the row was deleted from.
CREATE FUNCTION delete_untargeted_role_assignment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_ARGV[0] = 'group' THEN
        IF NOT EXISTS (SELECT 1 FROM standard_role_group_targets WHERE assignment_id = OLD.assignment_id) THEN
            DELETE FROM standard_role_assignments WHERE id = OLD.assignment_id;
        END IF;
    ELSIF NOT EXISTS (SELECT 1 FROM standard_role_app_targets WHERE assignment_id = OLD.assignment_id) THEN
        DELETE FROM standard_role_assignments WHERE id = OLD.assignment_id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER standard_role_group_targets_last AFTER DELETE ON standard_role_group_targets
FOR EACH ROW EXECUTE FUNCTION delete_untargeted_role_assignment('group');
CREATE TRIGGER standard_role_app_targets_last AFTER DELETE ON standard_role_app_targets
FOR EACH ROW EXECUTE FUNCTION delete_untargeted_role_assignment('app');

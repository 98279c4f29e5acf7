-- Okta's directory semantics (issue 19).

-- A profile source is an identity provider or an app (users imported from it);
-- neither column set means OKTA: the portal's own users.
ALTER TABLE realm_assignment_rules ADD COLUMN profile_source_app_id TEXT COLLATE "C"
    REFERENCES apps (id) ON DELETE RESTRICT;
CREATE INDEX realm_assignment_rules_profile_source_app_id ON realm_assignment_rules (profile_source_app_id);
ALTER TABLE users ADD COLUMN profile_source_app_id TEXT COLLATE "C" REFERENCES apps (id) ON DELETE SET NULL;
CREATE INDEX users_profile_source_app_id ON users (profile_source_app_id);

-- Group sync from an IdP's groups claim (Okta's provisioning.groups): NONE,
-- APPEND (add memberships) or SYNC (add and remove), only ever for the groups
-- in groups_filter (ids), matched by name to the claim's values.
ALTER TABLE identity_providers ADD COLUMN groups_action TEXT NOT NULL DEFAULT 'NONE'
    CHECK (groups_action IN ('NONE', 'APPEND', 'SYNC'));
ALTER TABLE identity_providers ADD COLUMN groups_claim TEXT;
ALTER TABLE identity_providers ADD COLUMN groups_filter TEXT NOT NULL DEFAULT '[]'
    CHECK (jsonb_typeof(groups_filter::jsonb) = 'array');

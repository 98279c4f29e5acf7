-- Which org-IdP identity (issuer, sub) signs into which account: linked at the
-- first sign-in by a verified email, then by (issuer, sub) only.
CREATE TABLE org_idp_links (
    issuer       TEXT NOT NULL,
    subject      TEXT NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created      TEXT NOT NULL,
    PRIMARY KEY (issuer, subject),
    UNIQUE (issuer, user_id)
);
CREATE INDEX org_idp_links_user_id ON org_idp_links (user_id);

-- Sessions started before this time (unix milliseconds) are no longer valid:
-- set when a user's sessions are cleared, so that no in-flight request can
-- bring one back.
ALTER TABLE users ADD COLUMN sessions_valid_after BIGINT;

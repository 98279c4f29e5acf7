-- Several instances on one database (issue #24): a running realm-assignment
-- operation or CSV import is held by one instance at a time under a lease
-- (`locked_by`, `locked_until`, renewed at each batch). An instance that stops
-- holding it (killed, cut off) loses it when the lease runs out, and another
-- instance takes it over where it stopped.
ALTER TABLE realm_assignment_operations ADD COLUMN locked_by TEXT;
ALTER TABLE realm_assignment_operations ADD COLUMN locked_until TEXT;
ALTER TABLE user_imports ADD COLUMN locked_by TEXT;
ALTER TABLE user_imports ADD COLUMN locked_until TEXT;

-- What an instance looks for: running work whose lease has run out.
CREATE INDEX realm_assignment_operations_running ON realm_assignment_operations (status, locked_until);
CREATE INDEX user_imports_running ON user_imports (status, locked_until);

-- The Management API's rate-limit windows, when instances share them
-- (`rate_limit_shared`): requests counted per key (an API token's id, or
-- the org) and one-minute window (epoch minutes).
CREATE TABLE rate_limit_windows (
    limit_key    TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    used         INTEGER NOT NULL,
    PRIMARY KEY (limit_key, window_start)
);

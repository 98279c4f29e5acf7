-- tower-sessions records: the session id, its data (JSON) and when it expires.
CREATE TABLE tower_sessions (
    id          TEXT NOT NULL PRIMARY KEY,
    data        TEXT NOT NULL,
    expiry_date TEXT NOT NULL
) STRICT;
CREATE INDEX tower_sessions_expiry_date ON tower_sessions (expiry_date);

-- Installation-wide settings (the org id used in ORNs, …), one row per key.
CREATE TABLE org_settings (
    key          TEXT NOT NULL PRIMARY KEY,
    value        TEXT NOT NULL,
    last_updated TEXT NOT NULL
);

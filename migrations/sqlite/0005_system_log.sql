-- The system log: append-only Okta LogEvents, linked into a SHA-256 hash chain.
--
-- Writing an event, in the transaction of the change it records:
--   1. UPDATE system_log_head SET last_seq = last_seq WHERE id = 1 RETURNING last_hash
--      (takes the write lock on both engines and serializes writers)
--   2. INSERT INTO system_log (…, prev_hash, hash) with prev_hash = last_hash and hash
--      computed in Rust from prev_hash and the event (not from seq, which the
--      database assigns) … RETURNING seq
--   3. INSERT INTO system_log_targets …
-- The trigger system_log_chain rejects a prev_hash that is not the head's hash and
-- advances the head, so the chain cannot fork.

CREATE TABLE system_log (
    seq             INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    uuid            TEXT    NOT NULL UNIQUE,
    published       TEXT    NOT NULL,
    event_type      TEXT    NOT NULL,
    severity        TEXT    NOT NULL CHECK (severity IN ('DEBUG', 'INFO', 'WARN', 'ERROR')),
    actor_id        TEXT,
    actor_type      TEXT,
    outcome_result  TEXT    CHECK (outcome_result IN ('SUCCESS', 'FAILURE', 'SKIPPED', 'ALLOW', 'DENY',
                                                      'CHALLENGE', 'UNKNOWN')),
    transaction_id  TEXT,
    display_message TEXT,
    event_json      TEXT    NOT NULL CHECK (json_valid(event_json) AND json_type(event_json) = 'object'),
    prev_hash       TEXT    NOT NULL CHECK (length(prev_hash) = 64),
    hash            TEXT    NOT NULL CHECK (length(hash) = 64)
) STRICT;
CREATE INDEX system_log_published ON system_log (published, seq);
CREATE INDEX system_log_event_type ON system_log (event_type, seq);
CREATE INDEX system_log_actor_id ON system_log (actor_id, seq);
CREATE INDEX system_log_transaction_id ON system_log (transaction_id);

-- realm_id: the realm the target belonged to when the event happened (a user's
-- realm then; a realm target's own id), so a partner admin's view of its realms'
-- history does not change when users move later.
CREATE TABLE system_log_targets (
    seq         INTEGER NOT NULL REFERENCES system_log (seq),
    target_id   TEXT    NOT NULL,
    target_type TEXT    NOT NULL,
    realm_id    TEXT,
    PRIMARY KEY (seq, target_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX system_log_targets_target_id ON system_log_targets (target_id, seq);
CREATE INDEX system_log_targets_realm_id ON system_log_targets (realm_id, seq);

CREATE TABLE system_log_head (
    id        INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    last_seq  INTEGER NOT NULL,
    last_hash TEXT    NOT NULL CHECK (length(last_hash) = 64)
) STRICT;
INSERT INTO system_log_head (id, last_seq, last_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TRIGGER system_log_no_update BEFORE UPDATE ON system_log
BEGIN
    SELECT RAISE(ABORT, 'system_log is append-only');
END;
CREATE TRIGGER system_log_no_delete BEFORE DELETE ON system_log
BEGIN
    SELECT RAISE(ABORT, 'system_log is append-only');
END;
CREATE TRIGGER system_log_targets_no_update BEFORE UPDATE ON system_log_targets
BEGIN
    SELECT RAISE(ABORT, 'system_log is append-only');
END;
CREATE TRIGGER system_log_targets_no_delete BEFORE DELETE ON system_log_targets
BEGIN
    SELECT RAISE(ABORT, 'system_log is append-only');
END;

CREATE TRIGGER system_log_chain AFTER INSERT ON system_log
BEGIN
    SELECT RAISE(ABORT, 'system_log: prev_hash is not the hash of the last entry')
    WHERE NEW.prev_hash IS NOT (SELECT last_hash FROM system_log_head WHERE id = 1);
    UPDATE system_log_head SET last_seq = NEW.seq, last_hash = NEW.hash WHERE id = 1;
END;

-- The head either stays (the locking no-op update) or advances to the newest entry.
CREATE TRIGGER system_log_head_forward_only BEFORE UPDATE ON system_log_head
WHEN NOT (
    (NEW.id = OLD.id AND NEW.last_seq = OLD.last_seq AND NEW.last_hash = OLD.last_hash)
    OR (NEW.id = OLD.id AND NEW.last_seq > OLD.last_seq
        AND NEW.last_seq = (SELECT max(seq) FROM system_log)
        AND NEW.last_hash = (SELECT hash FROM system_log WHERE seq = NEW.last_seq))
)
BEGIN
    SELECT RAISE(ABORT, 'system_log_head only follows the last entry');
END;
CREATE TRIGGER system_log_head_no_delete BEFORE DELETE ON system_log_head
BEGIN
    SELECT RAISE(ABORT, 'system_log_head cannot be deleted');
END;

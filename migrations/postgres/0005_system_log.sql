-- The system log: append-only Okta LogEvents, linked into a SHA-256 hash chain.
--
-- Writing an event, in the transaction of the change it records:
--   1. UPDATE system_log_head SET last_seq = last_seq WHERE id = 1 RETURNING last_hash
--      (takes the row lock on both engines and serializes writers)
--   2. INSERT INTO system_log (…, prev_hash, hash) with prev_hash = last_hash and hash
--      computed in Rust from prev_hash and the event (not from seq, which the
--      database assigns and which may have gaps here) … RETURNING seq
--   3. INSERT INTO system_log_targets …
-- The trigger system_log_chain rejects a prev_hash that is not the head's hash and
-- advances the head, so the chain cannot fork.

CREATE TABLE system_log (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    uuid            TEXT COLLATE "C" NOT NULL UNIQUE,
    published       TEXT NOT NULL,
    event_type      TEXT COLLATE "C" NOT NULL,
    severity        TEXT NOT NULL CHECK (severity IN ('DEBUG', 'INFO', 'WARN', 'ERROR')),
    actor_id        TEXT COLLATE "C",
    actor_type      TEXT,
    outcome_result  TEXT CHECK (outcome_result IN ('SUCCESS', 'FAILURE', 'SKIPPED', 'ALLOW', 'DENY',
                                                   'CHALLENGE', 'UNKNOWN')),
    transaction_id  TEXT COLLATE "C",
    display_message TEXT,
    event_json      TEXT NOT NULL CHECK (jsonb_typeof(event_json::jsonb) = 'object'),
    prev_hash       TEXT NOT NULL CHECK (length(prev_hash) = 64),
    hash            TEXT NOT NULL CHECK (length(hash) = 64)
);
CREATE INDEX system_log_published ON system_log (published, seq);
CREATE INDEX system_log_event_type ON system_log (event_type, seq);
CREATE INDEX system_log_actor_id ON system_log (actor_id, seq);
CREATE INDEX system_log_transaction_id ON system_log (transaction_id);

-- realm_id: the realm the target belonged to when the event happened (a user's
-- realm then; a realm target's own id), so a partner admin's view of its realms'
-- history does not change when users move later.
CREATE TABLE system_log_targets (
    seq         BIGINT NOT NULL REFERENCES system_log (seq),
    target_id   TEXT COLLATE "C" NOT NULL,
    target_type TEXT NOT NULL,
    realm_id    TEXT COLLATE "C",
    PRIMARY KEY (seq, target_id)
);
CREATE INDEX system_log_targets_target_id ON system_log_targets (target_id, seq);
CREATE INDEX system_log_targets_realm_id ON system_log_targets (realm_id, seq);

CREATE TABLE system_log_head (
    id        BIGINT NOT NULL PRIMARY KEY CHECK (id = 1),
    last_seq  BIGINT NOT NULL,
    last_hash TEXT   NOT NULL CHECK (length(last_hash) = 64)
);
INSERT INTO system_log_head (id, last_seq, last_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TRIGGER system_log_no_update BEFORE UPDATE OR DELETE ON system_log
FOR EACH ROW EXECUTE FUNCTION reject_change('system_log is append-only');
CREATE TRIGGER system_log_no_truncate BEFORE TRUNCATE ON system_log
FOR EACH STATEMENT EXECUTE FUNCTION reject_change('system_log is append-only');
CREATE TRIGGER system_log_targets_no_update BEFORE UPDATE OR DELETE ON system_log_targets
FOR EACH ROW EXECUTE FUNCTION reject_change('system_log is append-only');
CREATE TRIGGER system_log_targets_no_truncate BEFORE TRUNCATE ON system_log_targets
FOR EACH STATEMENT EXECUTE FUNCTION reject_change('system_log is append-only');

CREATE FUNCTION system_log_chain() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE system_log_head SET last_seq = NEW.seq, last_hash = NEW.hash
    WHERE id = 1 AND last_hash = NEW.prev_hash;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'system_log: prev_hash is not the hash of the last entry'
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER system_log_chain AFTER INSERT ON system_log
FOR EACH ROW EXECUTE FUNCTION system_log_chain();

-- The head either stays (the locking no-op update) or advances to the newest entry.
CREATE FUNCTION system_log_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id = OLD.id AND NEW.last_seq = OLD.last_seq AND NEW.last_hash = OLD.last_hash THEN
        RETURN NEW;
    END IF;
    IF NEW.id = OLD.id AND NEW.last_seq > OLD.last_seq
       AND NEW.last_seq = (SELECT max(seq) FROM system_log)
       AND NEW.last_hash = (SELECT hash FROM system_log WHERE seq = NEW.last_seq) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'system_log_head only follows the last entry' USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER system_log_head_forward_only BEFORE UPDATE ON system_log_head
FOR EACH ROW EXECUTE FUNCTION system_log_head_forward_only();
CREATE TRIGGER system_log_head_no_delete BEFORE DELETE ON system_log_head
FOR EACH ROW EXECUTE FUNCTION reject_change('system_log_head cannot be deleted');
CREATE TRIGGER system_log_head_no_truncate BEFORE TRUNCATE ON system_log_head
FOR EACH STATEMENT EXECUTE FUNCTION reject_change('system_log_head cannot be deleted');

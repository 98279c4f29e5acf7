-- The search index reads each user's email only when it differs from the login
-- (ignoring case, as the trigram tokenizer does): in most directories the login
-- *is* the email, and indexing it twice doubled the largest part of the index
-- and of every insert's work. Search results are unchanged — a query matching
-- the email matches the login it equals.
--
-- External content: what the triggers insert or delete must be exactly what the
-- view yields, so all three apply the same CASE.

DROP TRIGGER users_fts_insert;
DROP TRIGGER users_fts_update;
DROP TRIGGER users_fts_delete;
DROP VIEW users_fts_content;

CREATE VIEW users_fts_content AS
SELECT k.rowid AS fts_rowid, u.login,
       CASE WHEN lower(u.email) = lower(u.login) THEN NULL ELSE u.email END AS email,
       u.first_name, u.last_name
FROM users_fts_rowids k JOIN users u ON u.id = k.user_id;

CREATE TRIGGER users_fts_insert AFTER INSERT ON users
BEGIN
    INSERT INTO users_fts_rowids (user_id) VALUES (NEW.id);
    INSERT INTO users_fts (rowid, login, email, first_name, last_name)
    SELECT rowid, NEW.login,
           CASE WHEN lower(NEW.email) = lower(NEW.login) THEN NULL ELSE NEW.email END,
           NEW.first_name, NEW.last_name
    FROM users_fts_rowids WHERE user_id = NEW.id;
END;

CREATE TRIGGER users_fts_update AFTER UPDATE OF login, email, first_name, last_name ON users
BEGIN
    INSERT INTO users_fts (users_fts, rowid, login, email, first_name, last_name)
    SELECT 'delete', rowid, OLD.login,
           CASE WHEN lower(OLD.email) = lower(OLD.login) THEN NULL ELSE OLD.email END,
           OLD.first_name, OLD.last_name
    FROM users_fts_rowids WHERE user_id = OLD.id;
    INSERT INTO users_fts (rowid, login, email, first_name, last_name)
    SELECT rowid, NEW.login,
           CASE WHEN lower(NEW.email) = lower(NEW.login) THEN NULL ELSE NEW.email END,
           NEW.first_name, NEW.last_name
    FROM users_fts_rowids WHERE user_id = NEW.id;
END;

CREATE TRIGGER users_fts_delete AFTER DELETE ON users
BEGIN
    INSERT INTO users_fts (users_fts, rowid, login, email, first_name, last_name)
    SELECT 'delete', rowid, OLD.login,
           CASE WHEN lower(OLD.email) = lower(OLD.login) THEN NULL ELSE OLD.email END,
           OLD.first_name, OLD.last_name
    FROM users_fts_rowids WHERE user_id = OLD.id;
    DELETE FROM users_fts_rowids WHERE user_id = OLD.id;
END;

INSERT INTO users_fts (users_fts) VALUES ('rebuild');

-- Substring search over users (login, email, first and last name): FTS5 with the
-- trigram tokenizer (case-insensitive; query terms need at least 3 characters).
--
-- The index is external-content: it stores only trigrams and reads text from the
-- users rows themselves (through users_fts_content), so no second copy of 1M
-- profiles is kept and `INSERT INTO users_fts(users_fts) VALUES ('rebuild')` can
-- always regenerate it. FTS5 needs a stable integer rowid; users is keyed by TEXT
-- and VACUUM may renumber its implicit rowid, so users_fts_rowids assigns one
-- (an INTEGER PRIMARY KEY is never renumbered).

CREATE TABLE users_fts_rowids (
    rowid   INTEGER NOT NULL PRIMARY KEY,
    user_id TEXT    NOT NULL UNIQUE
) STRICT;

CREATE VIEW users_fts_content AS
SELECT k.rowid AS fts_rowid, u.login, u.email, u.first_name, u.last_name
FROM users_fts_rowids k JOIN users u ON u.id = k.user_id;

CREATE VIRTUAL TABLE users_fts USING fts5 (
    login, email, first_name, last_name,
    content = 'users_fts_content',
    content_rowid = 'fts_rowid',
    tokenize = 'trigram'
);

CREATE TRIGGER users_fts_insert AFTER INSERT ON users
BEGIN
    INSERT INTO users_fts_rowids (user_id) VALUES (NEW.id);
    INSERT INTO users_fts (rowid, login, email, first_name, last_name)
    SELECT rowid, NEW.login, NEW.email, NEW.first_name, NEW.last_name
    FROM users_fts_rowids WHERE user_id = NEW.id;
END;

CREATE TRIGGER users_fts_update AFTER UPDATE OF login, email, first_name, last_name ON users
BEGIN
    INSERT INTO users_fts (users_fts, rowid, login, email, first_name, last_name)
    SELECT 'delete', rowid, OLD.login, OLD.email, OLD.first_name, OLD.last_name
    FROM users_fts_rowids WHERE user_id = OLD.id;
    INSERT INTO users_fts (rowid, login, email, first_name, last_name)
    SELECT rowid, NEW.login, NEW.email, NEW.first_name, NEW.last_name
    FROM users_fts_rowids WHERE user_id = NEW.id;
END;

CREATE TRIGGER users_fts_delete AFTER DELETE ON users
BEGIN
    INSERT INTO users_fts (users_fts, rowid, login, email, first_name, last_name)
    SELECT 'delete', rowid, OLD.login, OLD.email, OLD.first_name, OLD.last_name
    FROM users_fts_rowids WHERE user_id = OLD.id;
    DELETE FROM users_fts_rowids WHERE user_id = OLD.id;
END;

CREATE TRIGGER users_id_is_immutable BEFORE UPDATE OF id ON users
WHEN OLD.id <> NEW.id
BEGIN
    SELECT RAISE(ABORT, 'users.id cannot be changed');
END;

-- Substring search over users (login, email, first and last name): pg_trgm GIN.
-- The columns are COLLATE "C" (byte order, like SQLite); the index is built under
-- the database's default collation so that ILIKE folds non-ASCII case too (as the
-- SQLite trigram index does). A query uses the index only with the same collation:
--   last_name COLLATE "default" ILIKE $1        ($1 = '%' || escaped term || '%')
-- Terms shorter than 3 characters have no trigrams and cannot use the index.
-- pg_trgm is a trusted extension: the database owner may create it.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX users_search_trgm ON users USING gin (
    login      COLLATE "default" gin_trgm_ops,
    email      COLLATE "default" gin_trgm_ops,
    first_name COLLATE "default" gin_trgm_ops,
    last_name  COLLATE "default" gin_trgm_ops
);

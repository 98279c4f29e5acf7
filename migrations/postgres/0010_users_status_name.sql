-- The users table filtered by status is shown in name order: the status index
-- carries the name order (a rare status no longer walks the whole name index).
DROP INDEX users_status;
CREATE INDEX users_status_name ON users (status, last_name, first_name, id);
-- And per realm: a partner admin's status filter walks only the matching users
-- of each of its realms, in name order.
CREATE INDEX users_realm_status_name ON users (realm_id, status, last_name, first_name, id);

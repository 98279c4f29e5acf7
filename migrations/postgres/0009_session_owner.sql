-- Whose session a record is (copied from its data at every save), so that
-- suspending, deactivating or clearing a user's sessions ends them at once.
ALTER TABLE tower_sessions ADD COLUMN user_id TEXT;
CREATE INDEX tower_sessions_user_id ON tower_sessions (user_id);

-- notifications 1.0.0: the feature's own tables, all prefixed notifications_ in the stack's shared D1 database.
CREATE TABLE IF NOT EXISTS notifications_messages (id TEXT PRIMARY KEY, entity_id TEXT NOT NULL, user_id TEXT NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL, read_at INTEGER, created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS notifications_messages_entity ON notifications_messages (entity_id);
CREATE TABLE IF NOT EXISTS notifications_preferences (user_id TEXT NOT NULL, channel TEXT NOT NULL, enabled INTEGER NOT NULL DEFAULT 1, PRIMARY KEY (user_id, channel));

-- activities 1.0.0: the feature's own tables, all prefixed activities_ in the stack's shared D1 database.
CREATE TABLE IF NOT EXISTS activities_log (id TEXT PRIMARY KEY, entity_id TEXT NOT NULL, contact_id TEXT, kind TEXT NOT NULL, note TEXT, occurred_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS activities_log_entity ON activities_log (entity_id);

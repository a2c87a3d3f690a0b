-- reports 1.0.0: the feature's own tables, all prefixed reports_ in the stack's shared D1 database.
CREATE TABLE IF NOT EXISTS reports_definitions (id TEXT PRIMARY KEY, entity_id TEXT NOT NULL, name TEXT NOT NULL, query TEXT NOT NULL, schedule TEXT, created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS reports_definitions_entity ON reports_definitions (entity_id);
CREATE TABLE IF NOT EXISTS reports_runs (id TEXT PRIMARY KEY, definition_id TEXT NOT NULL, status TEXT NOT NULL, object_key TEXT, started_at INTEGER NOT NULL, finished_at INTEGER);

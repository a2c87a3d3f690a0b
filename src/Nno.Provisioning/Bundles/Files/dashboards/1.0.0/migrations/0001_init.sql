-- dashboards 1.0.0: the feature's own tables, all prefixed dashboards_ in the stack's shared D1 database.
CREATE TABLE IF NOT EXISTS dashboards_boards (id TEXT PRIMARY KEY, entity_id TEXT NOT NULL, title TEXT NOT NULL, layout TEXT NOT NULL DEFAULT '[]', created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS dashboards_boards_entity ON dashboards_boards (entity_id);

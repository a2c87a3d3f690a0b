-- settings 1.0.0: the feature's own tables, all prefixed settings_ in the stack's shared D1 database.
CREATE TABLE IF NOT EXISTS settings_values (entity_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (entity_id, key));
CREATE INDEX IF NOT EXISTS settings_values_entity ON settings_values (entity_id);

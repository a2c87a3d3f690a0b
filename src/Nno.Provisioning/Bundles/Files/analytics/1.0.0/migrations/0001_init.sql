-- analytics 1.0.0: the feature's own tables, all prefixed analytics_ in the stack's shared D1 database.
CREATE TABLE IF NOT EXISTS analytics_events (id TEXT PRIMARY KEY, entity_id TEXT NOT NULL, name TEXT NOT NULL, properties TEXT NOT NULL DEFAULT '{}', occurred_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS analytics_events_entity ON analytics_events (entity_id);
CREATE TABLE IF NOT EXISTS analytics_daily_counts (entity_id TEXT NOT NULL, day TEXT NOT NULL, name TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (entity_id, day, name));
CREATE INDEX IF NOT EXISTS analytics_daily_counts_entity ON analytics_daily_counts (entity_id);

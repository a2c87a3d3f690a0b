-- deals 1.0.0: the feature's own tables, all prefixed deals_ in the stack's shared D1 database.
CREATE TABLE IF NOT EXISTS deals_deals (id TEXT PRIMARY KEY, entity_id TEXT NOT NULL, contact_id TEXT, title TEXT NOT NULL, stage TEXT NOT NULL, amount_cents INTEGER, currency TEXT NOT NULL DEFAULT 'USD', created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS deals_deals_entity ON deals_deals (entity_id);

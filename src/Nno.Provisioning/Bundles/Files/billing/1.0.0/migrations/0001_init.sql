-- billing 1.0.0: the feature's own tables, all prefixed billing_ in the stack's shared D1 database.
CREATE TABLE IF NOT EXISTS billing_subscriptions (id TEXT PRIMARY KEY, entity_id TEXT NOT NULL, plan TEXT NOT NULL, status TEXT NOT NULL, current_period_end INTEGER, created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS billing_subscriptions_entity ON billing_subscriptions (entity_id);
CREATE TABLE IF NOT EXISTS billing_invoices (id TEXT PRIMARY KEY, subscription_id TEXT NOT NULL, amount_cents INTEGER NOT NULL, currency TEXT NOT NULL, status TEXT NOT NULL, created_at INTEGER NOT NULL);

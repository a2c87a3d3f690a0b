-- The platform's own settings, one row (id = 1), upserted by Provisioning after every migration run.
CREATE TABLE IF NOT EXISTS nno_platform_config (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  platform_id TEXT NOT NULL,
  plan_tier TEXT NOT NULL,
  billing_email TEXT NOT NULL,
  default_entity_id TEXT,
  environment TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);

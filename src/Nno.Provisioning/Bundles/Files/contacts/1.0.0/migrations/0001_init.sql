-- contacts 1.0.0: the feature's own tables, all prefixed contacts_ in the stack's shared D1 database.
CREATE TABLE IF NOT EXISTS contacts_people (id TEXT PRIMARY KEY, entity_id TEXT NOT NULL, name TEXT NOT NULL, email TEXT, phone TEXT, company TEXT, created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS contacts_people_entity ON contacts_people (entity_id);
CREATE TABLE IF NOT EXISTS contacts_tags (contact_id TEXT NOT NULL, tag TEXT NOT NULL, PRIMARY KEY (contact_id, tag));

-- team 1.1.0 (test bundle): a second migration, so an upgrade applies exactly this file.
CREATE TABLE IF NOT EXISTS team_invites (id TEXT PRIMARY KEY, team_id TEXT NOT NULL, email TEXT NOT NULL, created_at INTEGER NOT NULL);

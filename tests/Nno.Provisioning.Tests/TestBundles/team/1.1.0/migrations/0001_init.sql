-- team 1.0.0: the feature's own tables, all prefixed team_ in the stack's shared D1 database.
CREATE TABLE IF NOT EXISTS team_teams (id TEXT PRIMARY KEY, entity_id TEXT NOT NULL, name TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS team_teams_entity ON team_teams (entity_id);
CREATE TABLE IF NOT EXISTS team_team_members (team_id TEXT NOT NULL, user_id TEXT NOT NULL, role TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (team_id, user_id));

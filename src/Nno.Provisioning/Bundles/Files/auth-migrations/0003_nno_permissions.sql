-- NNO permissions: which permission keys each role holds (seeded from the stack templates' defaultRoles), and grants
-- that give one member an extra permission within an organization.
CREATE TABLE IF NOT EXISTS nno_role_permissions (
  role TEXT NOT NULL,
  permission TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (role, permission)
);
CREATE TABLE IF NOT EXISTS nno_permission_grants (
  id TEXT PRIMARY KEY,
  organization_id TEXT NOT NULL REFERENCES organization(id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
  permission TEXT NOT NULL,
  granted_by TEXT,
  created_at INTEGER NOT NULL,
  UNIQUE (organization_id, user_id, permission)
);
CREATE INDEX IF NOT EXISTS nno_permission_grants_user ON nno_permission_grants (user_id);

-- team 1.1.0 (test bundle) teardown.
DROP TABLE IF EXISTS team_invites;
DROP TABLE IF EXISTS team_team_members;
DROP TABLE IF EXISTS team_teams;

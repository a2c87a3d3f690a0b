-- team 1.0.0 teardown: drops exactly the tables its migrations created (deactivation with deleteData).
DROP TABLE IF EXISTS team_team_members;
DROP TABLE IF EXISTS team_teams;

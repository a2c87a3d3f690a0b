-- reports 1.0.0 teardown: drops exactly the tables its migrations created (deactivation with deleteData).
DROP TABLE IF EXISTS reports_runs;
DROP TABLE IF EXISTS reports_definitions;

-- settings 1.0.0 teardown: drops exactly the tables its migrations created (deactivation with deleteData).
DROP TABLE IF EXISTS settings_values;

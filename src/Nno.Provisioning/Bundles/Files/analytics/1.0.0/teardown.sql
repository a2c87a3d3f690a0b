-- analytics 1.0.0 teardown: drops exactly the tables its migrations created (deactivation with deleteData).
DROP TABLE IF EXISTS analytics_daily_counts;
DROP TABLE IF EXISTS analytics_events;

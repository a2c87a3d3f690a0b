-- notifications 1.0.0 teardown: drops exactly the tables its migrations created (deactivation with deleteData).
DROP TABLE IF EXISTS notifications_preferences;
DROP TABLE IF EXISTS notifications_messages;

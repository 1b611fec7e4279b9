DROP TABLE server_keys;
DROP TABLE sessions;

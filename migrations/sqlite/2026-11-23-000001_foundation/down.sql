DROP TABLE idempotency_keys;
DROP TABLE events;
DROP TABLE vehicles;
DROP TABLE login_failures;
DROP TABLE refresh_tokens;
DROP TABLE users;
DROP TABLE ports;
DROP TABLE units;

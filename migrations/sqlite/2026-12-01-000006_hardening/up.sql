-- Failed logins are counted per username and client address, per address and per username.
ALTER TABLE login_failures ADD COLUMN address text NOT NULL DEFAULT '';
CREATE INDEX login_failures_address_at_idx ON login_failures (address, at);
CREATE INDEX login_failures_at_idx ON login_failures (at);

-- A stored answer replays only to a caller with the same role and unit as when it was given.
ALTER TABLE idempotency_keys ADD COLUMN scope text NOT NULL DEFAULT '';
CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);

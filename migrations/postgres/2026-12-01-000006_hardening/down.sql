DROP INDEX idempotency_keys_created_at_idx;
ALTER TABLE idempotency_keys DROP COLUMN scope;
DROP INDEX login_failures_at_idx;
DROP INDEX login_failures_address_at_idx;
ALTER TABLE login_failures DROP COLUMN address;

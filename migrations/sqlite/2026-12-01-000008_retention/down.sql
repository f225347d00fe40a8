DROP INDEX travellers_closed_exception_idx;
DROP INDEX travellers_closed_received_idx;
ALTER TABLE travellers DROP COLUMN erased_at;

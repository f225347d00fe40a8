DROP INDEX travellers_waiting_idx;
DROP INDEX travellers_missing_idx;
DROP INDEX handoffs_rejected_idx;
DROP INDEX handoffs_locked_idx;
ALTER TABLE travellers DROP COLUMN missing_since;
ALTER TABLE handoffs DROP COLUMN replaced_by;
ALTER TABLE handoffs DROP COLUMN replaces;
ALTER TABLE handoffs DROP COLUMN locked_at;

ALTER TABLE handoffs DROP COLUMN recorded_at;

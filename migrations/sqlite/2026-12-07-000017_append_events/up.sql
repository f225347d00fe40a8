-- On SQLite the service appends events itself, statement by statement: round trips cost
-- nothing in process. The number keeps both backends' migrations in step.
SELECT 1;

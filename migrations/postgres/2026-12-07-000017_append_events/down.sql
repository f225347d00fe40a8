DROP FUNCTION append_events(bigint, text, text, uuid[], uuid[], text[], text[], uuid[], uuid[], uuid[], uuid[], jsonb[], bytea[], uuid[], text[], bigint[], uuid[], text[], text[], bigint[]);

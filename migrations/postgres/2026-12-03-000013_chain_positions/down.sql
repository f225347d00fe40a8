DROP INDEX events_chain_link_idx;
CREATE UNIQUE INDEX events_chain_link_idx
    ON events (COALESCE(city_id, '00000000-0000-0000-0000-000000000000'::uuid), prev_hash)
    WHERE hash <> '';
ALTER TABLE events DROP COLUMN chain_seq;

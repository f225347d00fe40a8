-- Every event is chained to the one before it in its city's chain (events of no city form one
-- chain of their own): hash = SHA-256 over the previous hash and the event's canonical content.
-- Events written before this migration are chained once at start-up (see db::chain_legacy_events).
ALTER TABLE events ADD COLUMN prev_hash text NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN hash text NOT NULL DEFAULT '';
-- No two events of one chain follow the same event: a fork is refused, whatever the locking.
CREATE UNIQUE INDEX events_chain_link_idx
    ON events (COALESCE(city_id, '00000000-0000-0000-0000-000000000000'), prev_hash)
    WHERE hash <> '';

-- Each chained event's place in its chain: 1 for the first, then one more than the event before
-- it. A fork is refused by this position instead of by the previous event's hash: the hash is
-- random, so every append wrote into a random page of that index, and a large import dirtied as
-- many pages of it as it had events; positions only grow, so appends go to the index's end.
ALTER TABLE events ADD COLUMN chain_seq integer NOT NULL DEFAULT 0;
-- The only update the log ever receives, with the append-only trigger lifted for it.
DROP TRIGGER events_no_update;
UPDATE events SET chain_seq = positions.n
FROM (SELECT seq, row_number() OVER (PARTITION BY city_id ORDER BY seq) AS n
      FROM events WHERE hash <> '') AS positions
WHERE events.seq = positions.seq;
CREATE TRIGGER events_no_update
    BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'the event log is append-only: UPDATE is not allowed'); END;
-- No two events of one chain hold the same place: a fork is refused, whatever the locking.
DROP INDEX events_chain_link_idx;
CREATE UNIQUE INDEX events_chain_link_idx
    ON events (COALESCE(city_id, '00000000-0000-0000-0000-000000000000'), chain_seq)
    WHERE hash <> '';

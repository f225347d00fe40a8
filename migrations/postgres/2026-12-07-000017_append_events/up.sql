-- Appends a transaction's events to the audit log, and adds to the statistics the numbers it moves,
-- in one statement after the transaction's other rows: committing a change costs that statement,
-- the one before it and the COMMIT.
--
-- It takes its cities' commit locks and then the log's lock (held to the commit: `seq` follows
-- commit order), tells every instance's reader of the log, adds to the numbers (whose rows every
-- change of a city moves, so they are held from here to the commit only), and chains each event
-- to the newest one of its city's chain.
-- Each query of a VOLATILE function takes a fresh snapshot, so the heads read after the lock are
-- those of every append committed before it. The hash is SHA-256 over the text that
-- `store::events::Chained::hash` writes: the previous hash, the id and the time, one a line, then
-- the rest of the event's canonical text (`texts`, as UTF-8), which the service sends.
CREATE FUNCTION append_events(
    lock_key bigint,
    channel text,
    payload text,
    ids uuid[],
    actor_ids uuid[],
    actions text[],
    entity_types text[],
    entity_ids uuid[],
    city_ids uuid[],
    district_ids uuid[],
    community_ids uuid[],
    datas jsonb[],
    texts bytea[],
    total_units uuid[],
    total_metrics text[],
    total_values bigint[],
    daily_units uuid[],
    daily_days text[],
    daily_metrics text[],
    daily_values bigint[]
) RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    n integer := coalesce(array_length(ids, 1), 0);
    stamp timestamptz;
    stamp_text text;
    chains text[] := '{}';
    head_hashes text[] := '{}';
    head_seqs bigint[] := '{}';
    prev_hashes text[] := '{}';
    hashes text[] := '{}';
    seqs bigint[] := '{}';
    chain text;
    city integer;
    pos integer;
    prev text;
    prev_seq bigint;
BEGIN
    -- Writers of one city queue on their city's lock first, so that the log's lock, which every
    -- city's writers share, is waited for by at most one writer of each city: a busy city does not
    -- keep another waiting behind all of its commits. Taken in one order, so no two wait on each
    -- other. (The two-key form of advisory locks does not overlap the one-key form.)
    FOR city IN SELECT DISTINCT hashtext(c::text) FROM unnest(city_ids) AS c WHERE c IS NOT NULL ORDER BY 1 LOOP
        PERFORM pg_advisory_xact_lock(7, city);
    END LOOP;
    PERFORM pg_advisory_xact_lock(lock_key);
    PERFORM pg_notify(channel, payload);
    INSERT INTO stat_totals (unit_id, metric, value)
    SELECT * FROM unnest(total_units, total_metrics, total_values)
    ON CONFLICT (unit_id, metric) DO UPDATE SET value = stat_totals.value + excluded.value;
    INSERT INTO stat_daily (unit_id, day, metric, value)
    SELECT * FROM unnest(daily_units, daily_days, daily_metrics, daily_values)
    ON CONFLICT (unit_id, day, metric) DO UPDATE SET value = stat_daily.value + excluded.value;
    stamp := clock_timestamp();
    stamp_text := to_char(stamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
    FOR i IN 1 .. n LOOP
        chain := coalesce(city_ids[i]::text, '');
        pos := array_position(chains, chain);
        IF pos IS NULL THEN
            IF city_ids[i] IS NULL THEN
                SELECT e.hash, e.chain_seq INTO prev, prev_seq FROM events e
                 WHERE e.city_id IS NULL AND e.hash <> '' ORDER BY e.seq DESC LIMIT 1;
            ELSE
                SELECT e.hash, e.chain_seq INTO prev, prev_seq FROM events e
                 WHERE e.city_id = city_ids[i] AND e.hash <> '' ORDER BY e.seq DESC LIMIT 1;
            END IF;
            IF NOT FOUND THEN
                prev := repeat('0', 64);
                prev_seq := 0;
            END IF;
            chains := chains || chain;
            head_hashes := head_hashes || prev;
            head_seqs := head_seqs || prev_seq;
            pos := array_length(chains, 1);
        END IF;
        prev_hashes[i] := head_hashes[pos];
        seqs[i] := head_seqs[pos] + 1;
        hashes[i] := encode(sha256(
            convert_to(head_hashes[pos] || E'\n' || ids[i]::text || E'\n' || stamp_text || E'\n', 'UTF8')
            || texts[i]), 'hex');
        head_hashes[pos] := hashes[i];
        head_seqs[pos] := seqs[i];
    END LOOP;
    INSERT INTO events (id, at, actor_id, action, entity_type, entity_id, city_id, district_id,
                        community_id, data, prev_hash, hash, chain_seq)
    SELECT u.id, stamp, u.actor_id, u.action, u.entity_type, u.entity_id, u.city_id, u.district_id,
           u.community_id, u.data, u.prev_hash, u.hash, u.chain_seq
      FROM unnest(ids, actor_ids, actions, entity_types, entity_ids, city_ids, district_ids,
                  community_ids, datas, prev_hashes, hashes, seqs)
           WITH ORDINALITY AS u(id, actor_id, action, entity_type, entity_id, city_id, district_id,
                                community_id, data, prev_hash, hash, chain_seq, place)
     ORDER BY u.place;
    RETURN n;
END
$$;

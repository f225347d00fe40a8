-- An import writes thousands of travellers, and as many events, in one statement. A foreign key
-- checks each row on its own: a query and a row lock per reference, eight per traveller, which was
-- a third of PostgreSQL's work in an import. Here the references of travellers and events are
-- checked once per statement instead, over all of its rows together, and a row whose references
-- change is checked when it changes. What a check found stays true because the rows referred to
-- are never deleted or renumbered (units, users and ports are deactivated instead), which the
-- triggers at the end make a rule. SQLite keeps its foreign keys: they cost it little.

ALTER TABLE travellers
    DROP CONSTRAINT travellers_port_id_fkey,
    DROP CONSTRAINT travellers_destination_city_id_fkey,
    DROP CONSTRAINT travellers_destination_district_id_fkey,
    DROP CONSTRAINT travellers_destination_community_id_fkey,
    DROP CONSTRAINT travellers_custodian_unit_id_fkey,
    DROP CONSTRAINT travellers_origin_district_id_fkey,
    DROP CONSTRAINT travellers_origin_community_id_fkey,
    DROP CONSTRAINT travellers_batch_id_fkey,
    DROP CONSTRAINT travellers_exception_by_fkey,
    DROP CONSTRAINT travellers_registered_by_fkey;
ALTER TABLE events DROP CONSTRAINT events_actor_id_fkey;

-- The first of these ids that names no row, as 'unit <id>', 'port <id>', 'user <id>' or
-- 'batch <id>'; NULL when all of them do. NULL ids are no reference.
CREATE FUNCTION missing_reference(unit_ids uuid[], port_ids uuid[], user_ids uuid[], batch_ids uuid[])
    RETURNS text LANGUAGE sql STABLE AS $$
    SELECT r.kind || ' ' || r.id FROM (
        SELECT 'unit' AS kind, w.id FROM (SELECT DISTINCT unnest(unit_ids) AS id) w
            WHERE w.id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM units WHERE units.id = w.id)
        UNION ALL
        SELECT 'port', w.id FROM (SELECT DISTINCT unnest(port_ids) AS id) w
            WHERE w.id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ports WHERE ports.id = w.id)
        UNION ALL
        SELECT 'user', w.id FROM (SELECT DISTINCT unnest(user_ids) AS id) w
            WHERE w.id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users WHERE users.id = w.id)
        UNION ALL
        SELECT 'batch', w.id FROM (SELECT DISTINCT unnest(batch_ids) AS id) w
            WHERE w.id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM batches WHERE batches.id = w.id)
    ) r
    LIMIT 1
$$;

CREATE FUNCTION refuse_missing_reference(missing text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'no % exists', missing USING ERRCODE = 'foreign_key_violation';
    END IF;
END;
$$;

-- Travellers added by one statement, all at once.
CREATE FUNCTION travellers_added_check_references() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refuse_missing_reference(missing_reference(
        (SELECT array_agg(destination_city_id) || array_agg(destination_district_id)
             || array_agg(destination_community_id) || array_agg(custodian_unit_id)
             || array_agg(origin_district_id) || array_agg(origin_community_id) FROM added),
        (SELECT array_agg(port_id) FROM added),
        (SELECT array_agg(registered_by) || array_agg(exception_by) FROM added),
        (SELECT array_agg(batch_id) FROM added)));
    RETURN NULL;
END;
$$;
CREATE TRIGGER travellers_added_refer_to_rows AFTER INSERT ON travellers
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION travellers_added_check_references();

-- A traveller whose references changed (custody, destination, batch, an exception).
CREATE FUNCTION traveller_changed_check_references() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refuse_missing_reference(missing_reference(
        ARRAY[NEW.destination_city_id, NEW.destination_district_id, NEW.destination_community_id,
              NEW.custodian_unit_id, NEW.origin_district_id, NEW.origin_community_id],
        ARRAY[NEW.port_id],
        ARRAY[NEW.registered_by, NEW.exception_by],
        ARRAY[NEW.batch_id]));
    RETURN NULL;
END;
$$;
CREATE TRIGGER traveller_changed_refers_to_rows AFTER UPDATE ON travellers
    FOR EACH ROW
    WHEN ((OLD.destination_city_id, OLD.destination_district_id, OLD.destination_community_id,
           OLD.custodian_unit_id, OLD.origin_district_id, OLD.origin_community_id, OLD.port_id,
           OLD.registered_by, OLD.exception_by, OLD.batch_id)
          IS DISTINCT FROM
          (NEW.destination_city_id, NEW.destination_district_id, NEW.destination_community_id,
           NEW.custodian_unit_id, NEW.origin_district_id, NEW.origin_community_id, NEW.port_id,
           NEW.registered_by, NEW.exception_by, NEW.batch_id))
    EXECUTE FUNCTION traveller_changed_check_references();

-- Events appended by one statement (they are never changed).
CREATE FUNCTION events_added_check_references() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refuse_missing_reference(missing_reference(
        NULL, NULL, (SELECT array_agg(actor_id) FROM added), NULL));
    RETURN NULL;
END;
$$;
CREATE TRIGGER events_added_refer_to_rows AFTER INSERT ON events
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION events_added_check_references();

-- Rows that the record refers to stay: never deleted, never given another id.
CREATE FUNCTION kept_for_the_record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% are never deleted or renumbered: the record refers to them', TG_TABLE_NAME
        USING ERRCODE = 'foreign_key_violation';
END;
$$;
CREATE TRIGGER units_kept BEFORE DELETE OR TRUNCATE ON units
    FOR EACH STATEMENT EXECUTE FUNCTION kept_for_the_record();
CREATE TRIGGER units_id_kept BEFORE UPDATE OF id ON units
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION kept_for_the_record();
CREATE TRIGGER ports_kept BEFORE DELETE OR TRUNCATE ON ports
    FOR EACH STATEMENT EXECUTE FUNCTION kept_for_the_record();
CREATE TRIGGER ports_id_kept BEFORE UPDATE OF id ON ports
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION kept_for_the_record();
CREATE TRIGGER users_kept BEFORE DELETE OR TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION kept_for_the_record();
CREATE TRIGGER users_id_kept BEFORE UPDATE OF id ON users
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION kept_for_the_record();
CREATE TRIGGER batches_kept BEFORE DELETE OR TRUNCATE ON batches
    FOR EACH STATEMENT EXECUTE FUNCTION kept_for_the_record();
CREATE TRIGGER batches_id_kept BEFORE UPDATE OF id ON batches
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION kept_for_the_record();

-- A new traveller has no batch and is not in transit: these indexes hold only the rows they are
-- read for, and an import does not write to them.
DROP INDEX travellers_batch_idx;
CREATE INDEX travellers_batch_idx ON travellers (batch_id) WHERE batch_id IS NOT NULL;
DROP INDEX travellers_in_transit_idx;
CREATE INDEX travellers_in_transit_idx ON travellers (batch_id) WHERE status = 'in_transit';

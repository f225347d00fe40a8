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

-- Every row that can be referred to, by kind: what the checks below look ids up in (by primary
-- key; the branches of other kinds are skipped).
CREATE VIEW referable (kind, id) AS
    SELECT 'unit', id FROM units
    UNION ALL SELECT 'port', id FROM ports
    UNION ALL SELECT 'user', id FROM users
    UNION ALL SELECT 'batch', id FROM batches;

-- The checks are PL/pgSQL, whose statements are planned once per connection: a registration's
-- one-row insert pays about 0.05 ms for its check, an import's 10,000 rows about 25 ms.
CREATE FUNCTION refuse_missing_reference(missing text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'no % exists', missing USING ERRCODE = 'foreign_key_violation';
    END IF;
END;
$$;

-- Travellers added by one statement, all at once: each distinct id they name looked up once.
CREATE FUNCTION travellers_added_check_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing text;
BEGIN
    SELECT r.kind || ' ' || r.id INTO missing
    FROM (SELECT DISTINCT v.kind, v.id
          FROM added, LATERAL (VALUES
              ('unit', added.destination_city_id), ('unit', added.destination_district_id),
              ('unit', added.destination_community_id), ('unit', added.custodian_unit_id),
              ('unit', added.origin_district_id), ('unit', added.origin_community_id),
              ('port', added.port_id), ('user', added.registered_by),
              ('user', added.exception_by), ('batch', added.batch_id)) v (kind, id)
          WHERE v.id IS NOT NULL) r
    WHERE NOT EXISTS (SELECT 1 FROM referable x WHERE x.kind = r.kind AND x.id = r.id)
    LIMIT 1;
    PERFORM refuse_missing_reference(missing);
    RETURN NULL;
END;
$$;
CREATE TRIGGER travellers_added_refer_to_rows AFTER INSERT ON travellers
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION travellers_added_check_references();

-- A traveller whose references changed (custody, destination, batch, an exception).
CREATE FUNCTION traveller_changed_check_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing text;
BEGIN
    SELECT v.kind || ' ' || v.id INTO missing
    FROM (VALUES
        ('unit', NEW.destination_city_id), ('unit', NEW.destination_district_id),
        ('unit', NEW.destination_community_id), ('unit', NEW.custodian_unit_id),
        ('unit', NEW.origin_district_id), ('unit', NEW.origin_community_id),
        ('port', NEW.port_id), ('user', NEW.registered_by), ('user', NEW.exception_by),
        ('batch', NEW.batch_id)) v (kind, id)
    WHERE v.id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM referable x WHERE x.kind = v.kind AND x.id = v.id)
    LIMIT 1;
    PERFORM refuse_missing_reference(missing);
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
DECLARE
    missing text;
BEGIN
    SELECT 'user ' || a.actor_id INTO missing
    FROM (SELECT DISTINCT actor_id FROM added WHERE actor_id IS NOT NULL) a
    WHERE NOT EXISTS (SELECT 1 FROM users WHERE users.id = a.actor_id)
    LIMIT 1;
    PERFORM refuse_missing_reference(missing);
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

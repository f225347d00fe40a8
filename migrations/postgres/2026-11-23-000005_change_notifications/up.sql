-- Every instance keeps the dashboards' current ETags and their callers in memory, and must hear of
-- any change to them, whoever makes it (another instance, the command line, an operator's SQL).
-- These triggers send, at commit, the id of each unit whose numbers moved, of each unit whose
-- handoffs changed (their due and confirmation times decide what is overdue and what lies in the
-- last 24 hours, the nil id standing for the whole system) and of each user whose record changed;
-- PostgreSQL folds repeats within a transaction.
CREATE FUNCTION notify_unit_changed() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('inbound_transfer_changes', NEW.unit_id::text);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER stat_totals_notify
    AFTER INSERT OR UPDATE ON stat_totals
    FOR EACH ROW WHEN (NEW.metric = 'changes')
    EXECUTE FUNCTION notify_unit_changed();

CREATE FUNCTION notify_user_changed() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('inbound_transfer_changes', OLD.id::text);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER users_notify
    AFTER UPDATE OR DELETE ON users
    FOR EACH ROW
    EXECUTE FUNCTION notify_user_changed();

CREATE FUNCTION notify_handoff_changed() RETURNS trigger AS $$
DECLARE
    row handoffs;
BEGIN
    IF TG_OP = 'DELETE' THEN
        row := OLD;
    ELSE
        row := NEW;
    END IF;
    PERFORM pg_notify('inbound_transfer_changes', '00000000-0000-0000-0000-000000000000');
    PERFORM pg_notify('inbound_transfer_changes', row.city_id::text);
    PERFORM pg_notify('inbound_transfer_changes', row.district_id::text);
    IF row.community_id IS NOT NULL THEN
        PERFORM pg_notify('inbound_transfer_changes', row.community_id::text);
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER handoffs_notify
    AFTER INSERT OR UPDATE OR DELETE ON handoffs
    FOR EACH ROW
    EXECUTE FUNCTION notify_handoff_changed();

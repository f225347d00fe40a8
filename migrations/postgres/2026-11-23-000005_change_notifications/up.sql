-- Every instance keeps the dashboards' current ETags and their callers in memory, and must hear of
-- any change to them, whoever makes it (another instance, the command line, an operator's SQL).
-- These triggers send, at commit, the id of each unit whose numbers moved and of each user whose
-- record changed; PostgreSQL folds repeats within a transaction.
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

-- Rows that the record refers to stay: never deleted, never given another id (units, users and
-- ports are deactivated instead). PostgreSQL checks the references of travellers and events once
-- per statement and relies on this rule; here the foreign keys stay, and the rule is the same.
CREATE TRIGGER units_kept BEFORE DELETE ON units
BEGIN SELECT RAISE(ABORT, 'units are never deleted or renumbered: the record refers to them'); END;
CREATE TRIGGER units_id_kept BEFORE UPDATE OF id ON units WHEN OLD.id IS NOT NEW.id
BEGIN SELECT RAISE(ABORT, 'units are never deleted or renumbered: the record refers to them'); END;
CREATE TRIGGER ports_kept BEFORE DELETE ON ports
BEGIN SELECT RAISE(ABORT, 'ports are never deleted or renumbered: the record refers to them'); END;
CREATE TRIGGER ports_id_kept BEFORE UPDATE OF id ON ports WHEN OLD.id IS NOT NEW.id
BEGIN SELECT RAISE(ABORT, 'ports are never deleted or renumbered: the record refers to them'); END;
CREATE TRIGGER users_kept BEFORE DELETE ON users
BEGIN SELECT RAISE(ABORT, 'users are never deleted or renumbered: the record refers to them'); END;
CREATE TRIGGER users_id_kept BEFORE UPDATE OF id ON users WHEN OLD.id IS NOT NEW.id
BEGIN SELECT RAISE(ABORT, 'users are never deleted or renumbered: the record refers to them'); END;
CREATE TRIGGER batches_kept BEFORE DELETE ON batches
BEGIN SELECT RAISE(ABORT, 'batches are never deleted or renumbered: the record refers to them'); END;
CREATE TRIGGER batches_id_kept BEFORE UPDATE OF id ON batches WHEN OLD.id IS NOT NEW.id
BEGIN SELECT RAISE(ABORT, 'batches are never deleted or renumbered: the record refers to them'); END;

-- A new traveller has no batch and is not in transit: these indexes hold only the rows they are
-- read for, and an import does not write to them.
DROP INDEX travellers_batch_idx;
CREATE INDEX travellers_batch_idx ON travellers (batch_id) WHERE batch_id IS NOT NULL;
DROP INDEX travellers_in_transit_idx;
CREATE INDEX travellers_in_transit_idx ON travellers (batch_id) WHERE status = 'in_transit';

-- Loose ends: what keeps the loop open, with when it began and who must act.
-- A handoff locked by wrong codes says since when; a reissued handoff names the one it replaces
-- and is named by it; a traveller left out at a door says since when they are missing.
ALTER TABLE handoffs ADD COLUMN locked_at text;
ALTER TABLE handoffs ADD COLUMN replaces text REFERENCES handoffs (id);
ALTER TABLE handoffs ADD COLUMN replaced_by text REFERENCES handoffs (id);
ALTER TABLE travellers ADD COLUMN missing_since text;

UPDATE handoffs AS h
   SET locked_at = coalesce(
         (SELECT max(e.at) FROM events e WHERE e.entity_id = h.id AND e.action = 'handoff.locked'),
         h.created_at)
 WHERE h.locked;
UPDATE travellers AS t
   SET missing_since = coalesce(
         (SELECT max(h.confirmed_at)
            FROM handoff_travellers ht JOIN handoffs h ON h.id = ht.handoff_id
           WHERE ht.traveller_id = t.id AND ht.outcome = 'missing'),
         t.updated_at)
 WHERE t.missing;

-- The lists of loose ends read these few rows by kind.
CREATE INDEX handoffs_locked_idx ON handoffs (locked_at) WHERE status = 'pending' AND locked;
CREATE INDEX handoffs_rejected_idx ON handoffs (rejected_at) WHERE status = 'rejected';
CREATE INDEX travellers_missing_idx ON travellers (missing_since) WHERE missing;
CREATE INDEX travellers_waiting_idx ON travellers (port_id, arrived_at) WHERE status = 'awaiting_transfer';

-- A confirmation or rejection made at the door without a network is sent later: the handoff keeps
-- the time at the door (confirmed_at, rejected_at) and the time the service received it.
ALTER TABLE handoffs ADD COLUMN recorded_at text;
UPDATE handoffs SET recorded_at = coalesce(confirmed_at, rejected_at) WHERE status IN ('confirmed', 'rejected');

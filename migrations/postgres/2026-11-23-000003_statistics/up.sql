-- Statistics kept up to date in the transaction of every change, so that dashboards never scan
-- the history. unit_id is the unit whose subtree a number covers; the nil UUID is the whole system.

-- Where a traveller was bound when registered, and when the loop closed: the daily numbers are
-- attributed by these, so a later correction of the destination does not rewrite history.
ALTER TABLE travellers ADD COLUMN origin_district_id uuid REFERENCES units (id);
ALTER TABLE travellers ADD COLUMN origin_community_id uuid REFERENCES units (id);
ALTER TABLE travellers ADD COLUMN received_at timestamptz;
UPDATE travellers SET origin_district_id = destination_district_id, origin_community_id = destination_community_id;

-- Where each traveller of a batch was bound when the batch took them.
ALTER TABLE batch_travellers ADD COLUMN district_id uuid REFERENCES units (id);
ALTER TABLE batch_travellers ADD COLUMN community_id uuid REFERENCES units (id);
UPDATE batch_travellers SET district_id = (SELECT t.destination_district_id FROM travellers t WHERE t.id = batch_travellers.traveller_id),
    community_id = (SELECT t.destination_community_id FROM travellers t WHERE t.id = batch_travellers.traveller_id);

-- Current numbers: travellers by status, batches, handoffs and vehicles by status, `changes`.
CREATE TABLE stat_totals (
    unit_id uuid NOT NULL,
    metric  text NOT NULL,
    value   bigint NOT NULL,
    PRIMARY KEY (unit_id, metric)
);

-- Flows per local day: registered, departed batches, received, exceptions, per port.
CREATE TABLE stat_daily (
    unit_id uuid NOT NULL,
    day     text NOT NULL,
    metric  text NOT NULL,
    value   bigint NOT NULL,
    PRIMARY KEY (unit_id, day, metric)
);

CREATE INDEX handoffs_pending_due_idx ON handoffs (status, due_at);
CREATE INDEX handoffs_confirmed_at_idx ON handoffs (confirmed_at);
CREATE INDEX travellers_in_transit_idx ON travellers (status, batch_id);

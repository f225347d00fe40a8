-- The closed loop: travellers, batches and their crews, handoffs, disinfections.

CREATE TABLE batches (
    id                     text PRIMARY KEY NOT NULL,
    code                   text NOT NULL UNIQUE,
    port_id                text NOT NULL REFERENCES ports (id),
    city_id                text NOT NULL REFERENCES units (id),
    vehicle_id             text REFERENCES vehicles (id),
    status                 text NOT NULL CHECK (status IN ('planned', 'boarding', 'in_transit', 'arrived', 'closed', 'cancelled')),
    scheduled_departure_at text,
    departed_at            text,
    arrived_at             text,
    closed_at              text,
    cancelled_at           text,
    cancel_reason          text,
    created_by             text NOT NULL REFERENCES users (id),
    created_at             text NOT NULL,
    updated_at             text NOT NULL,
    version                integer NOT NULL DEFAULT 1
);
CREATE INDEX batches_city_status_idx ON batches (city_id, status);
CREATE INDEX batches_port_idx ON batches (port_id, created_at);
CREATE INDEX batches_vehicle_idx ON batches (vehicle_id);

CREATE TABLE crew_members (
    id       text PRIMARY KEY NOT NULL,
    batch_id text NOT NULL REFERENCES batches (id),
    name     text NOT NULL,
    phone    text,
    role     text NOT NULL CHECK (role IN ('driver', 'escort'))
);
CREATE INDEX crew_members_batch_idx ON crew_members (batch_id);

CREATE TABLE travellers (
    id                       text PRIMARY KEY NOT NULL,
    full_name                text NOT NULL,
    document_type            text NOT NULL CHECK (document_type IN ('passport', 'id_card', 'travel_permit', 'other')),
    document_no              text NOT NULL,
    nationality              text NOT NULL,
    phone                    text,
    flight_no                text,
    port_id                  text NOT NULL REFERENCES ports (id),
    arrived_at               text NOT NULL,
    -- Where the traveller is going; the destination decides who may see the traveller. A
    -- confirmed handoff to a corrected unit moves it; a community not yet known is NULL.
    destination_city_id      text NOT NULL REFERENCES units (id),
    destination_district_id  text NOT NULL REFERENCES units (id),
    destination_community_id text REFERENCES units (id),
    address                  text,
    language                 text CHECK (language IN ('zh', 'en', 'ja', 'ko')),
    notes                    text,
    status                   text NOT NULL CHECK (status IN ('awaiting_transfer', 'assigned', 'boarded', 'in_transit', 'arrived', 'at_district', 'received', 'exception')),
    custodian_unit_id        text NOT NULL REFERENCES units (id),
    batch_id                 text REFERENCES batches (id),
    -- The pending handoff the traveller is offered in, if any: never more than one.
    handoff_id               text,
    -- Reported missing at a handoff: still in the sender's custody until handed again or closed by an exception.
    missing                  integer NOT NULL DEFAULT 0,
    exception_kind           text CHECK (exception_kind IN ('no_show', 'hospitalised', 'absconded', 'transferred_out', 'refused')),
    exception_reason         text,
    exception_facility       text,
    exception_at             text,
    exception_by             text REFERENCES users (id),
    registered_by            text NOT NULL REFERENCES users (id),
    created_at               text NOT NULL,
    updated_at               text NOT NULL,
    version                  integer NOT NULL DEFAULT 1,
    CHECK ((status = 'exception') = (exception_kind IS NOT NULL))
);
-- One open transfer per document.
CREATE UNIQUE INDEX travellers_open_document_idx ON travellers (document_type, document_no)
    WHERE status NOT IN ('received', 'exception');
CREATE INDEX travellers_city_idx ON travellers (destination_city_id, status);
CREATE INDEX travellers_district_idx ON travellers (destination_district_id, status);
CREATE INDEX travellers_community_idx ON travellers (destination_community_id, status);
CREATE INDEX travellers_batch_idx ON travellers (batch_id);
CREATE INDEX travellers_flight_idx ON travellers (flight_no, arrived_at);
CREATE INDEX travellers_port_idx ON travellers (port_id, status);

-- Every traveller a batch ever carried or planned to, with the boarding outcome.
CREATE TABLE batch_travellers (
    batch_id     text NOT NULL REFERENCES batches (id),
    traveller_id text NOT NULL REFERENCES travellers (id),
    boarded      integer,
    removed      integer NOT NULL DEFAULT 0,
    PRIMARY KEY (batch_id, traveller_id)
);
CREATE INDEX batch_travellers_traveller_idx ON batch_travellers (traveller_id);

CREATE TABLE handoffs (
    id              text PRIMARY KEY NOT NULL,
    batch_id        text REFERENCES batches (id),
    from_unit_id    text NOT NULL REFERENCES units (id),
    to_unit_id      text NOT NULL REFERENCES units (id),
    -- Jurisdiction of the handoff: the city, the district involved, and the community if any.
    city_id         text NOT NULL REFERENCES units (id),
    district_id     text NOT NULL REFERENCES units (id),
    community_id    text REFERENCES units (id),
    status          text NOT NULL CHECK (status IN ('pending', 'confirmed', 'rejected', 'cancelled')),
    code            text NOT NULL,
    failed_attempts integer NOT NULL DEFAULT 0,
    locked          integer NOT NULL DEFAULT 0,
    created_by      text NOT NULL REFERENCES users (id),
    created_at      text NOT NULL,
    due_at          text NOT NULL,
    confirmed_at    text,
    confirmed_by    text REFERENCES users (id),
    rejected_at     text,
    rejected_by     text REFERENCES users (id),
    reason          text,
    note            text,
    version         integer NOT NULL DEFAULT 1
);
CREATE INDEX handoffs_to_status_idx ON handoffs (to_unit_id, status, due_at);
CREATE INDEX handoffs_from_status_idx ON handoffs (from_unit_id, status);
CREATE INDEX handoffs_city_idx ON handoffs (city_id, status);
CREATE INDEX handoffs_district_idx ON handoffs (district_id, status);
CREATE INDEX handoffs_community_idx ON handoffs (community_id, status);
CREATE INDEX handoffs_batch_idx ON handoffs (batch_id);

-- Who was offered in a handoff, and what the receiver said of each.
CREATE TABLE handoff_travellers (
    handoff_id   text NOT NULL REFERENCES handoffs (id),
    traveller_id text NOT NULL REFERENCES travellers (id),
    outcome      text NOT NULL CHECK (outcome IN ('pending', 'received', 'missing', 'returned')),
    PRIMARY KEY (handoff_id, traveller_id)
);
CREATE INDEX handoff_travellers_traveller_idx ON handoff_travellers (traveller_id);

CREATE TABLE disinfections (
    id           text PRIMARY KEY NOT NULL,
    vehicle_id   text NOT NULL REFERENCES vehicles (id),
    batch_id     text REFERENCES batches (id),
    note         text,
    performed_by text NOT NULL REFERENCES users (id),
    performed_at text NOT NULL
);
CREATE INDEX disinfections_vehicle_idx ON disinfections (vehicle_id, performed_at);

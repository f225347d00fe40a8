-- The closed loop: travellers, batches and their crews, handoffs, disinfections.

CREATE TABLE batches (
    id                     uuid PRIMARY KEY,
    code                   text NOT NULL UNIQUE,
    port_id                uuid NOT NULL REFERENCES ports (id),
    city_id                uuid NOT NULL REFERENCES units (id),
    vehicle_id             uuid REFERENCES vehicles (id),
    status                 text NOT NULL CHECK (status IN ('planned', 'boarding', 'in_transit', 'arrived', 'closed', 'cancelled')),
    scheduled_departure_at timestamptz,
    departed_at            timestamptz,
    arrived_at             timestamptz,
    closed_at              timestamptz,
    cancelled_at           timestamptz,
    cancel_reason          text,
    created_by             uuid NOT NULL REFERENCES users (id),
    created_at             timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL,
    version                integer NOT NULL DEFAULT 1
);
CREATE INDEX batches_city_status_idx ON batches (city_id, status);
CREATE INDEX batches_port_idx ON batches (port_id, created_at);
CREATE INDEX batches_vehicle_idx ON batches (vehicle_id);

CREATE TABLE crew_members (
    id       uuid PRIMARY KEY,
    batch_id uuid NOT NULL REFERENCES batches (id),
    name     text NOT NULL,
    phone    text,
    role     text NOT NULL CHECK (role IN ('driver', 'escort'))
);
CREATE INDEX crew_members_batch_idx ON crew_members (batch_id);

CREATE TABLE travellers (
    id                       uuid PRIMARY KEY,
    full_name                text NOT NULL,
    document_type            text NOT NULL CHECK (document_type IN ('passport', 'id_card', 'travel_permit', 'other')),
    document_no              text NOT NULL,
    nationality              text NOT NULL,
    phone                    text,
    flight_no                text,
    port_id                  uuid NOT NULL REFERENCES ports (id),
    arrived_at               timestamptz NOT NULL,
    -- Where the traveller is going; the destination decides who may see the traveller. A
    -- confirmed handoff to a corrected unit moves it; a community not yet known is NULL.
    destination_city_id      uuid NOT NULL REFERENCES units (id),
    destination_district_id  uuid NOT NULL REFERENCES units (id),
    destination_community_id uuid REFERENCES units (id),
    address                  text,
    language                 text CHECK (language IN ('zh', 'en', 'ja', 'ko')),
    notes                    text,
    status                   text NOT NULL CHECK (status IN ('awaiting_transfer', 'assigned', 'boarded', 'in_transit', 'arrived', 'at_district', 'received', 'exception')),
    custodian_unit_id        uuid NOT NULL REFERENCES units (id),
    batch_id                 uuid REFERENCES batches (id),
    -- The pending handoff the traveller is offered in, if any: never more than one.
    handoff_id               uuid,
    -- Reported missing at a handoff: still in the sender's custody until handed again or closed by an exception.
    missing                  boolean NOT NULL DEFAULT false,
    exception_kind           text CHECK (exception_kind IN ('no_show', 'hospitalised', 'absconded', 'transferred_out', 'refused')),
    exception_reason         text,
    exception_facility       text,
    exception_at             timestamptz,
    exception_by             uuid REFERENCES users (id),
    registered_by            uuid NOT NULL REFERENCES users (id),
    created_at               timestamptz NOT NULL,
    updated_at               timestamptz NOT NULL,
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
    batch_id     uuid NOT NULL REFERENCES batches (id),
    traveller_id uuid NOT NULL REFERENCES travellers (id),
    boarded      boolean,
    removed      boolean NOT NULL DEFAULT false,
    PRIMARY KEY (batch_id, traveller_id)
);
CREATE INDEX batch_travellers_traveller_idx ON batch_travellers (traveller_id);

CREATE TABLE handoffs (
    id              uuid PRIMARY KEY,
    batch_id        uuid REFERENCES batches (id),
    from_unit_id    uuid NOT NULL REFERENCES units (id),
    to_unit_id      uuid NOT NULL REFERENCES units (id),
    -- Jurisdiction of the handoff: the city, the district involved, and the community if any.
    city_id         uuid NOT NULL REFERENCES units (id),
    district_id     uuid NOT NULL REFERENCES units (id),
    community_id    uuid REFERENCES units (id),
    status          text NOT NULL CHECK (status IN ('pending', 'confirmed', 'rejected', 'cancelled')),
    code            text NOT NULL,
    failed_attempts integer NOT NULL DEFAULT 0,
    locked          boolean NOT NULL DEFAULT false,
    created_by      uuid NOT NULL REFERENCES users (id),
    created_at      timestamptz NOT NULL,
    due_at          timestamptz NOT NULL,
    confirmed_at    timestamptz,
    confirmed_by    uuid REFERENCES users (id),
    rejected_at     timestamptz,
    rejected_by     uuid REFERENCES users (id),
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
    handoff_id   uuid NOT NULL REFERENCES handoffs (id),
    traveller_id uuid NOT NULL REFERENCES travellers (id),
    outcome      text NOT NULL CHECK (outcome IN ('pending', 'received', 'missing', 'returned')),
    PRIMARY KEY (handoff_id, traveller_id)
);
CREATE INDEX handoff_travellers_traveller_idx ON handoff_travellers (traveller_id);

CREATE TABLE disinfections (
    id           uuid PRIMARY KEY,
    vehicle_id   uuid NOT NULL REFERENCES vehicles (id),
    batch_id     uuid REFERENCES batches (id),
    note         text,
    performed_by uuid NOT NULL REFERENCES users (id),
    performed_at timestamptz NOT NULL
);
CREATE INDEX disinfections_vehicle_idx ON disinfections (vehicle_id, performed_at);

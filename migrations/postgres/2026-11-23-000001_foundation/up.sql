-- Organisation tree: city > district > community. Every unit carries its city and district so that
-- "everything in my subtree" is one indexed equality, whatever the depth.
CREATE TABLE units (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    code        text NOT NULL UNIQUE,
    level       text NOT NULL CHECK (level IN ('city', 'district', 'community')),
    parent_id   uuid REFERENCES units (id),
    city_id     uuid NOT NULL REFERENCES units (id),
    district_id uuid REFERENCES units (id),
    created_at  timestamptz NOT NULL,
    CHECK ((level = 'city') = (parent_id IS NULL))
);
CREATE INDEX units_parent_idx ON units (parent_id);
CREATE INDEX units_city_idx ON units (city_id);
CREATE INDEX units_district_idx ON units (district_id);

CREATE TABLE ports (
    id         uuid PRIMARY KEY,
    code       text NOT NULL UNIQUE,
    name       text NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('airport', 'seaport', 'land', 'rail')),
    city_name  text NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE users (
    id            uuid PRIMARY KEY,
    username      text NOT NULL UNIQUE,
    password_hash text NOT NULL,
    display_name  text NOT NULL,
    role          text NOT NULL CHECK (role IN ('admin', 'dispatcher', 'district_officer', 'community_officer', 'viewer')),
    unit_id       uuid REFERENCES units (id),
    active        boolean NOT NULL DEFAULT true,
    -- Bumped on logout, deactivation and any change of role or unit: tokens carry the value they
    -- were issued under and stop working once it moves on.
    token_version integer NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    CHECK ((role = 'admin') = (unit_id IS NULL))
);
CREATE INDEX users_unit_idx ON users (unit_id);

CREATE TABLE refresh_tokens (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id),
    token_hash text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    revoked_at timestamptz
);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

-- Failed logins, per username (known or not), counted in the database so that the limit holds
-- across every instance of the service.
CREATE TABLE login_failures (
    id       uuid PRIMARY KEY,
    username text NOT NULL,
    at       timestamptz NOT NULL
);
CREATE INDEX login_failures_username_at_idx ON login_failures (username, at);

CREATE TABLE vehicles (
    id             uuid PRIMARY KEY,
    plate          text NOT NULL UNIQUE,
    kind           text NOT NULL CHECK (kind IN ('bus', 'minibus', 'car', 'ambulance')),
    seats          integer NOT NULL CHECK (seats > 0),
    unit_id        uuid NOT NULL REFERENCES units (id),
    status         text NOT NULL CHECK (status IN ('available', 'assigned', 'in_transit', 'needs_disinfection')),
    out_of_service boolean NOT NULL DEFAULT false,
    version        integer NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);
CREATE INDEX vehicles_unit_idx ON vehicles (unit_id, status);

-- The audit trail. Append-only: the code has no update or delete path, and the trigger below
-- refuses both. city/district/community say whose jurisdiction an event belongs to.
CREATE TABLE events (
    seq          bigserial PRIMARY KEY,
    id           uuid NOT NULL UNIQUE,
    at           timestamptz NOT NULL,
    actor_id     uuid REFERENCES users (id),
    action       text NOT NULL,
    entity_type  text NOT NULL,
    entity_id    uuid NOT NULL,
    city_id      uuid,
    district_id  uuid,
    community_id uuid,
    data         jsonb NOT NULL
);
CREATE INDEX events_entity_idx ON events (entity_type, entity_id, seq);
CREATE INDEX events_city_idx ON events (city_id, seq);
CREATE INDEX events_district_idx ON events (district_id, seq);
CREATE INDEX events_community_idx ON events (community_id, seq);

CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the event log is append-only: % is not allowed', TG_OP;
END;
$$;
CREATE TRIGGER events_no_update_or_delete
    BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_append_only();
CREATE TRIGGER events_no_truncate
    BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();

-- Responses to POSTs made with an Idempotency-Key, written in the transaction of the change they
-- answer, so a retry on any instance replays instead of acting twice.
CREATE TABLE idempotency_keys (
    user_id       uuid NOT NULL REFERENCES users (id),
    key           text NOT NULL,
    request_hash  text NOT NULL,
    status_code   integer NOT NULL,
    response_body jsonb NOT NULL,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (user_id, key)
);

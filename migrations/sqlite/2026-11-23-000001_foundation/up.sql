-- Organisation tree: city > district > community. Every unit carries its city and district so that
-- "everything in my subtree" is one indexed equality, whatever the depth.
CREATE TABLE units (
    id          text PRIMARY KEY NOT NULL,
    name        text NOT NULL,
    code        text NOT NULL UNIQUE,
    level       text NOT NULL CHECK (level IN ('city', 'district', 'community')),
    parent_id   text REFERENCES units (id),
    city_id     text NOT NULL REFERENCES units (id),
    district_id text REFERENCES units (id),
    created_at  text NOT NULL,
    CHECK ((level = 'city') = (parent_id IS NULL))
);
CREATE INDEX units_parent_idx ON units (parent_id);
CREATE INDEX units_city_idx ON units (city_id);
CREATE INDEX units_district_idx ON units (district_id);

CREATE TABLE ports (
    id         text PRIMARY KEY NOT NULL,
    code       text NOT NULL UNIQUE,
    name       text NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('airport', 'seaport', 'land', 'rail')),
    city_name  text NOT NULL,
    created_at text NOT NULL
);

CREATE TABLE users (
    id            text PRIMARY KEY NOT NULL,
    username      text NOT NULL UNIQUE,
    password_hash text NOT NULL,
    display_name  text NOT NULL,
    role          text NOT NULL CHECK (role IN ('admin', 'dispatcher', 'district_officer', 'community_officer', 'viewer')),
    unit_id       text REFERENCES units (id),
    active        integer NOT NULL DEFAULT 1,
    -- Bumped on logout, deactivation and any change of role or unit: tokens carry the value they
    -- were issued under and stop working once it moves on.
    token_version integer NOT NULL DEFAULT 1,
    created_at    text NOT NULL,
    updated_at    text NOT NULL,
    CHECK ((role = 'admin') = (unit_id IS NULL))
);
CREATE INDEX users_unit_idx ON users (unit_id);

CREATE TABLE refresh_tokens (
    id         text PRIMARY KEY NOT NULL,
    user_id    text NOT NULL REFERENCES users (id),
    token_hash text NOT NULL UNIQUE,
    created_at text NOT NULL,
    expires_at text NOT NULL,
    used_at    text,
    revoked_at text
);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

-- Failed logins, per username (known or not), counted in the database so that the limit holds
-- across every instance of the service.
CREATE TABLE login_failures (
    id       text PRIMARY KEY NOT NULL,
    username text NOT NULL,
    at       text NOT NULL
);
CREATE INDEX login_failures_username_at_idx ON login_failures (username, at);

CREATE TABLE vehicles (
    id             text PRIMARY KEY NOT NULL,
    plate          text NOT NULL UNIQUE,
    kind           text NOT NULL CHECK (kind IN ('bus', 'minibus', 'car', 'ambulance')),
    seats          integer NOT NULL CHECK (seats > 0),
    unit_id        text NOT NULL REFERENCES units (id),
    status         text NOT NULL CHECK (status IN ('available', 'assigned', 'in_transit', 'needs_disinfection')),
    out_of_service integer NOT NULL DEFAULT 0,
    version        integer NOT NULL DEFAULT 1,
    created_at     text NOT NULL,
    updated_at     text NOT NULL
);
CREATE INDEX vehicles_unit_idx ON vehicles (unit_id, status);

-- The audit trail. Append-only: the code has no update or delete path, and the trigger below
-- refuses both. city/district/community say whose jurisdiction an event belongs to.
CREATE TABLE events (
    seq          integer PRIMARY KEY AUTOINCREMENT,
    id           text NOT NULL UNIQUE,
    at           text NOT NULL,
    actor_id     text REFERENCES users (id),
    action       text NOT NULL,
    entity_type  text NOT NULL,
    entity_id    text NOT NULL,
    city_id      text,
    district_id  text,
    community_id text,
    data         text NOT NULL
);
CREATE INDEX events_entity_idx ON events (entity_type, entity_id, seq);
CREATE INDEX events_city_idx ON events (city_id, seq);
CREATE INDEX events_district_idx ON events (district_id, seq);
CREATE INDEX events_community_idx ON events (community_id, seq);

CREATE TRIGGER events_no_update
    BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'the event log is append-only: UPDATE is not allowed'); END;
CREATE TRIGGER events_no_delete
    BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'the event log is append-only: DELETE is not allowed'); END;

-- Responses to POSTs made with an Idempotency-Key, written in the transaction of the change they
-- answer, so a retry on any instance replays instead of acting twice.
CREATE TABLE idempotency_keys (
    user_id       text NOT NULL REFERENCES users (id),
    key           text NOT NULL,
    request_hash  text NOT NULL,
    status_code   integer NOT NULL,
    response_body text NOT NULL,
    created_at    text NOT NULL,
    PRIMARY KEY (user_id, key)
);

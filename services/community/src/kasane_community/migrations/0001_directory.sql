-- The directory: organisations on the platform, places and their activities, and the
-- coordinators assigned to the municipality's areas. Names, addresses and contact points
-- live here (and in the HSDS export), never in events.
CREATE TABLE organisations (
    id                   uuid        PRIMARY KEY,
    name                 text        NOT NULL,
    kind                 text        NOT NULL,
    description          text,
    area_code            text,
    offers               text[]      NOT NULL DEFAULT '{}',
    website              text,
    contact              jsonb       NOT NULL DEFAULT '{}',
    agency_id            text,                       -- when the organisation is a profile agency
    registered_by_agency text        NOT NULL,
    joined_at            timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX organisations_area ON organisations (area_code);

CREATE TABLE places (
    id                   uuid        PRIMARY KEY,
    name                 text        NOT NULL,
    kind                 text        NOT NULL,
    description          text,
    organisation_id      uuid        REFERENCES organisations (id),
    area_code            text        NOT NULL,
    lat                  double precision,
    lon                  double precision,
    address              jsonb,
    schedule             jsonb       NOT NULL DEFAULT '[]',
    for_ages             text[]      NOT NULL DEFAULT '{}',
    for_fields           text[]      NOT NULL DEFAULT '{}',
    accessibility        text[]      NOT NULL DEFAULT '{}',
    languages            text[]      NOT NULL DEFAULT '{}',
    capacity             integer,
    contact              jsonb       NOT NULL DEFAULT '{}',
    status               text        NOT NULL,  -- open | paused | closed
    development_id       uuid,                  -- the development project that produced it
    registered_by_agency text        NOT NULL,
    version              integer     NOT NULL DEFAULT 1,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    closed_at            timestamptz
);
CREATE INDEX places_area ON places (area_code);
CREATE INDEX places_created ON places (created_at, id);
CREATE INDEX places_development ON places (development_id) WHERE development_id IS NOT NULL;

-- What happens at a place (a weekly salon, a study corner, a farming morning).
CREATE TABLE activities (
    id                   uuid        PRIMARY KEY,
    place_id             uuid        NOT NULL REFERENCES places (id),
    name                 text        NOT NULL,
    kind                 text        NOT NULL,
    description          text,
    schedule             jsonb       NOT NULL DEFAULT '[]',
    for_ages             text[]      NOT NULL DEFAULT '{}',
    status               text        NOT NULL,  -- open | paused | closed
    registered_by_agency text        NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX activities_place ON activities (place_id, created_at);

CREATE TABLE coordinators (
    id                   uuid        PRIMARY KEY,
    display_name         text        NOT NULL,
    role                 text        NOT NULL,  -- seikatsu_shien_coordinator | csw | area_director
    agency_id            text        NOT NULL,
    area_codes           text[]      NOT NULL,
    contact              jsonb       NOT NULL DEFAULT '{}',
    registered_by_agency text        NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX coordinators_areas ON coordinators USING gin (area_codes);

-- Resource development (地域づくり): gap needs learned from participation's events, the
-- projects coordinators open from them, and what those projects produced.

-- A gap need as participation published it: codes and an area, never a person.
CREATE TABLE gap_needs (
    id              uuid        PRIMARY KEY,          -- participation's gap_need_id
    area_code       text        NOT NULL,
    need_codes      text[]      NOT NULL,
    wanted_kinds    text[]      NOT NULL DEFAULT '{}',
    accommodations  text[]      NOT NULL DEFAULT '{}',
    languages       text[]      NOT NULL DEFAULT '{}',
    recorded_at     timestamptz NOT NULL,             -- the event's time
    development_id  uuid                              -- the live project addressing it
);
CREATE INDEX gap_needs_open ON gap_needs (area_code) WHERE development_id IS NULL;

CREATE TABLE developments (
    id                uuid        PRIMARY KEY,
    title             text        NOT NULL,
    description       text,
    area_code         text        NOT NULL,
    need_codes        text[]      NOT NULL,
    status            text        NOT NULL,          -- idea | talks | trial | running | dropped
    coordinator_id    uuid        REFERENCES coordinators (id),
    opened_by_agency  text        NOT NULL,
    opened_at         timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    version           integer     NOT NULL DEFAULT 1
);
CREATE INDEX developments_area ON developments (area_code, opened_at);

ALTER TABLE gap_needs ADD CONSTRAINT gap_needs_development FOREIGN KEY (development_id) REFERENCES developments (id);
ALTER TABLE places ADD CONSTRAINT places_development FOREIGN KEY (development_id) REFERENCES developments (id);

-- Every gap need a project took up, kept after a dropped project releases it.
CREATE TABLE development_gap_needs (
    development_id uuid NOT NULL REFERENCES developments (id),
    gap_need_id    uuid NOT NULL REFERENCES gap_needs (id),
    PRIMARY KEY (development_id, gap_need_id)
);

CREATE TABLE development_organisations (
    development_id  uuid NOT NULL REFERENCES developments (id),
    organisation_id uuid NOT NULL REFERENCES organisations (id),
    PRIMARY KEY (development_id, organisation_id)
);

CREATE TABLE development_status_history (
    development_id uuid        NOT NULL REFERENCES developments (id),
    seq            integer     NOT NULL,
    from_status    text,
    to_status      text        NOT NULL,
    reason_code    text,
    by_agency      text        NOT NULL,
    at             timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (development_id, seq)
);

-- What a project produced: a place in this directory, or an opportunity in participation.
CREATE TABLE development_resources (
    development_id uuid        NOT NULL REFERENCES developments (id),
    seq            integer     NOT NULL,
    place_id       uuid        REFERENCES places (id),
    opportunity_id uuid,
    produced_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (development_id, seq),
    CHECK ((place_id IS NULL) <> (opportunity_id IS NULL))
);
CREATE UNIQUE INDEX development_resources_place ON development_resources (place_id) WHERE place_id IS NOT NULL;
CREATE UNIQUE INDEX development_resources_opportunity ON development_resources (opportunity_id)
    WHERE opportunity_id IS NOT NULL;

-- Participation's opportunities as its events describe them, with how often people were
-- proposed and placed there: counts only, so the loop "a place is made -> people are
-- matched" shows on the project without any person or request id.
CREATE TABLE opportunities (
    id                  uuid        PRIMARY KEY,
    source_place_id     uuid,
    kind                text,
    area_code           text,
    status              text,
    matches_proposed    integer     NOT NULL DEFAULT 0,
    placements_started  integer     NOT NULL DEFAULT 0,
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX opportunities_place ON opportunities (source_place_id) WHERE source_place_id IS NOT NULL;

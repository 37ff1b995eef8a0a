-- Participation support (参加支援事業): opportunities, requests, matches, placements,
-- follow-ups and gap needs. Matching filters in SQL over the indexes below
-- (docs/participation.md, "Matching").

CREATE TABLE opportunities (
    id               uuid        PRIMARY KEY,
    owner_agency_id  text,                        -- the agency that posted it; NULL for community's places
    source_place_id  uuid        UNIQUE,          -- set when it mirrors a community place
    development_id   uuid,                        -- the development project that produced the place
    organisation_id  uuid,
    kind             text        NOT NULL,
    title            text,                        -- providers' own title; never in events
    area_code        text        NOT NULL,
    lat              double precision NOT NULL,
    lon              double precision NOT NULL,
    located_by       text        NOT NULL,        -- coordinates | area_centroid
    capacity         integer     NOT NULL CHECK (capacity >= 0),
    seats_taken      integer     NOT NULL DEFAULT 0 CHECK (seats_taken >= 0),
    status           text        NOT NULL,        -- draft | open | full | paused | closed
    schedule         jsonb       NOT NULL DEFAULT '[]',
    flexible_hours   boolean     NOT NULL DEFAULT false,  -- no fixed schedule: times arranged (応相談)
    hours            bit(168)    NOT NULL,        -- bit weekday*24+hour set when it runs (all set: flexible)
    accommodations   text[]      NOT NULL DEFAULT '{}',
    languages        text[]      NOT NULL DEFAULT '{ja}',
    activities       text[]      NOT NULL DEFAULT '{}',
    for_ages         text[]      NOT NULL DEFAULT '{}',
    published        boolean     NOT NULL DEFAULT false,  -- OpportunityPublished was emitted
    version          integer     NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    -- the invariant the last-seat race must never break
    CONSTRAINT seats_within_capacity CHECK (seats_taken <= capacity)
);

-- Matching only ever looks at open opportunities with a free place: partial indexes keep
-- the rest (drafts, full, paused, closed) out. One GiST index per kind, so a search for
-- one kind near a place reads only that kind's rows (matching/store.py searches kind by
-- kind, best-scoring kinds first). Kinds are the fixed list OpportunityKind.
CREATE INDEX opportunities_open_place_to_be ON opportunities USING gist (point(lon, lat))
    WHERE status = 'open' AND seats_taken < capacity AND kind = 'place_to_be';
CREATE INDEX opportunities_open_volunteering ON opportunities USING gist (point(lon, lat))
    WHERE status = 'open' AND seats_taken < capacity AND kind = 'volunteering';
CREATE INDEX opportunities_open_employment_trial ON opportunities USING gist (point(lon, lat))
    WHERE status = 'open' AND seats_taken < capacity AND kind = 'employment_trial';
CREATE INDEX opportunities_open_supported_employment ON opportunities USING gist (point(lon, lat))
    WHERE status = 'open' AND seats_taken < capacity AND kind = 'supported_employment';
CREATE INDEX opportunities_open_employment ON opportunities USING gist (point(lon, lat))
    WHERE status = 'open' AND seats_taken < capacity AND kind = 'employment';
CREATE INDEX opportunities_open_learning_support ON opportunities USING gist (point(lon, lat))
    WHERE status = 'open' AND seats_taken < capacity AND kind = 'learning_support';
CREATE INDEX opportunities_open_residential_watch ON opportunities USING gist (point(lon, lat))
    WHERE status = 'open' AND seats_taken < capacity AND kind = 'residential_watch';
CREATE INDEX opportunities_open_accommodations ON opportunities USING gin (accommodations)
    WHERE status = 'open' AND seats_taken < capacity;
CREATE INDEX opportunities_open_languages ON opportunities USING gin (languages)
    WHERE status = 'open' AND seats_taken < capacity;
CREATE INDEX opportunities_listing ON opportunities (area_code, kind, id);
CREATE INDEX opportunities_owner ON opportunities (owner_agency_id, id) WHERE owner_agency_id IS NOT NULL;

CREATE TABLE participation_requests (
    id                       uuid        PRIMARY KEY,
    case_id                  uuid,
    participant_id           uuid        NOT NULL,   -- coordination's pseudonym for this request
    owner_agency_id          text,                   -- agency that created it by API; NULL from events
    origin                   text        NOT NULL,   -- event | api
    needs                    text[]      NOT NULL DEFAULT '{}',
    preferences              text[]      NOT NULL DEFAULT '{}',
    required_accommodations  text[]      NOT NULL DEFAULT '{}',
    languages                text[]      NOT NULL DEFAULT '{}',
    area_code                text        NOT NULL,
    lat                      double precision NOT NULL,   -- the area's centroid: where travel is measured from
    lon                      double precision NOT NULL,
    travel_km                double precision NOT NULL CHECK (travel_km > 0),
    current_step             text,
    max_step                 text,
    availability             jsonb       NOT NULL DEFAULT '[]',
    hours                    integer[]   NOT NULL DEFAULT '{}',   -- empty: any time
    age_band                 text,
    allowed_kinds            text[]      NOT NULL,   -- kinds the step rule allows (never beyond max_step)
    status                   text        NOT NULL,   -- open | waiting | proposed | placed | closed
    close_reason             text,
    version                  integer     NOT NULL DEFAULT 1,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX participation_requests_waiting ON participation_requests (created_at, id) WHERE status = 'waiting';
CREATE INDEX participation_requests_listing ON participation_requests (status, created_at, id);
CREATE INDEX participation_requests_case ON participation_requests (case_id) WHERE case_id IS NOT NULL;

CREATE TABLE matches (
    id              uuid        PRIMARY KEY,
    request_id      uuid        NOT NULL REFERENCES participation_requests (id),
    opportunity_id  uuid        NOT NULL REFERENCES opportunities (id),
    status          text        NOT NULL,   -- proposed | accepted | declined | withdrawn
    proposed_by     text        NOT NULL,   -- an agency id, or "system" for a waiting request re-matched
    score           double precision NOT NULL,
    parts           jsonb       NOT NULL,
    reasons         jsonb       NOT NULL,
    distance_km     double precision NOT NULL,
    rules_version   text        NOT NULL,
    decline_reason  text,
    decided_by      text,
    proposed_at     timestamptz NOT NULL DEFAULT now(),
    decided_at      timestamptz
);
-- one live proposal of an opportunity per request
CREATE UNIQUE INDEX matches_one_live ON matches (request_id, opportunity_id) WHERE status = 'proposed';
CREATE INDEX matches_request ON matches (request_id, proposed_at, id);

CREATE TABLE placements (
    id              uuid        PRIMARY KEY,
    match_id        uuid        NOT NULL UNIQUE REFERENCES matches (id),
    request_id      uuid        NOT NULL REFERENCES participation_requests (id),
    opportunity_id  uuid        NOT NULL REFERENCES opportunities (id),
    status          text        NOT NULL,   -- active | paused | ended
    started_on      date        NOT NULL,
    ended_on        date,
    outcome         text,
    pause_reason    text,
    version         integer     NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
-- a person holds at most one live placement per request
CREATE UNIQUE INDEX placements_one_live ON placements (request_id) WHERE status <> 'ended';
CREATE INDEX placements_opportunity ON placements (opportunity_id, id);

-- 定着支援: follow-ups scheduled at the start, recorded with notes that never leave here.
CREATE TABLE follow_ups (
    id              uuid        PRIMARY KEY,
    placement_id    uuid        NOT NULL REFERENCES placements (id),
    due_on          date,                    -- NULL for an unscheduled follow-up
    done_on         date,
    status_code     text,
    note            text,
    recorded_by     text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    recorded_at     timestamptz
);
CREATE INDEX follow_ups_placement ON follow_ups (placement_id, due_on, id);
CREATE INDEX follow_ups_due ON follow_ups (due_on, id) WHERE done_on IS NULL;

-- Needs nothing fitted: area and codes only. request_id stays here (to resolve the gap
-- when the request is matched) and never goes into the event.
CREATE TABLE gap_needs (
    id                          uuid        PRIMARY KEY,
    request_id                  uuid        REFERENCES participation_requests (id),
    area_code                   text        NOT NULL,
    need_codes                  text[]      NOT NULL,
    wanted_kinds                text[]      NOT NULL DEFAULT '{}',
    accommodations              text[]      NOT NULL DEFAULT '{}',
    languages                   text[]      NOT NULL DEFAULT '{}',
    recorded_at                 timestamptz NOT NULL DEFAULT now(),
    resolved_at                 timestamptz,
    resolution                  text,       -- matched | request_closed
    resolved_by_opportunity_id  uuid
);
CREATE UNIQUE INDEX gap_needs_one_open ON gap_needs (request_id) WHERE resolved_at IS NULL;
CREATE INDEX gap_needs_summary ON gap_needs (area_code) WHERE resolved_at IS NULL;

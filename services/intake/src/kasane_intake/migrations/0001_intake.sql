-- Intake's own tables: persons, households, consultations, screening, referrals, consent,
-- person matching and merges, and what coordination tells us about case teams.
-- Personal data lives here and nowhere else; events carry ids and codes only.

CREATE TABLE households (
    id          uuid        PRIMARY KEY,
    area_code   text,
    created_by  text        NOT NULL,               -- agency id
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE persons (
    id                 uuid        PRIMARY KEY,
    family_name        text,
    given_name         text,
    family_name_kana   text,
    given_name_kana    text,
    kana_key           text,                         -- normalised kana, for matching
    birth_date         date,
    age_estimate       integer,                      -- when the birth date is unknown
    age_estimated_on   date,
    sex                text,
    prefecture         text,
    municipality       text,
    area_code          text,
    street             text,
    address_key        text,                         -- normalised address, for matching
    phone              text,
    preferred_language text,
    contact_notes      text,
    merged_into        uuid REFERENCES persons (id), -- set while merged (reversible)
    created_by         text        NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    version            integer     NOT NULL DEFAULT 1
);
CREATE INDEX persons_kana_birth ON persons (kana_key, birth_date) WHERE merged_into IS NULL;
CREATE INDEX persons_address ON persons (address_key) WHERE merged_into IS NULL AND address_key IS NOT NULL;
CREATE INDEX persons_merged_into ON persons (merged_into) WHERE merged_into IS NOT NULL;

-- 世帯員: relationship to the head of the household (世帯主との続柄)
CREATE TABLE household_members (
    household_id   uuid        NOT NULL REFERENCES households (id),
    person_id      uuid        NOT NULL REFERENCES persons (id),
    relationship   text        NOT NULL,
    lives_together boolean     NOT NULL,
    linked_by      text        NOT NULL,
    linked_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (household_id, person_id)
);
CREATE INDEX household_members_person ON household_members (person_id);

CREATE TABLE consultations (
    id                    uuid        PRIMARY KEY,
    agency_id             text        NOT NULL,      -- the receiving desk
    external_id           text,                      -- the partner's own id
    received_at           timestamptz NOT NULL,
    channel               text        NOT NULL,
    consulted_by          text        NOT NULL,
    anonymous             boolean     NOT NULL,
    household_id          uuid REFERENCES households (id),
    person_id             uuid REFERENCES persons (id),  -- the subject, when known
    area_code             text,
    age_band              text,                      -- when no person record says it
    summary               text,
    concern_codes         text[]      NOT NULL DEFAULT '{}',
    unknown_concern_codes text[]      NOT NULL DEFAULT '{}',
    status                text        NOT NULL DEFAULT 'open',  -- open | referred | closed
    via                   text        NOT NULL,      -- api | partner_event
    created_at            timestamptz NOT NULL DEFAULT now(),
    closed_at             timestamptz,
    UNIQUE (agency_id, external_id)
);
CREATE INDEX consultations_agency ON consultations (agency_id, received_at DESC, id DESC);
CREATE INDEX consultations_household ON consultations (household_id, received_at DESC);

-- Who a consultation is about, with what each person's concerns are as reported.
CREATE TABLE consultation_members (
    consultation_id    uuid    NOT NULL REFERENCES consultations (id),
    person_id          uuid    NOT NULL REFERENCES persons (id),
    is_subject         boolean NOT NULL,
    concern_codes      text[]  NOT NULL DEFAULT '{}',
    withdrawn_years    integer,
    no_outside_contact boolean NOT NULL DEFAULT false,
    PRIMARY KEY (consultation_id, person_id)
);
CREATE INDEX consultation_members_person ON consultation_members (person_id);

CREATE TABLE screenings (
    id                    uuid        PRIMARY KEY,
    consultation_id       uuid        NOT NULL REFERENCES consultations (id),
    household_id          uuid REFERENCES households (id),
    score                 integer     NOT NULL,
    fields_involved       text[]      NOT NULL,
    members_with_concerns integer     NOT NULL,
    patterns              text[]      NOT NULL,
    reasons               jsonb       NOT NULL,
    recommendation        text        NOT NULL,
    rules_version         text        NOT NULL,
    screened_at           timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX screenings_consultation ON screenings (consultation_id, screened_at DESC);
CREATE INDEX screenings_household ON screenings (household_id, screened_at DESC);

-- Referrals out of a desk, modelled on FHIR Task.
CREATE TABLE referrals (
    id                   uuid        PRIMARY KEY,
    consultation_id      uuid        NOT NULL REFERENCES consultations (id),
    from_agency_id       text        NOT NULL,
    target               text        NOT NULL,      -- collaboration | outreach | agency
    to_agency_id         text,                      -- for target agency
    handler_agency_id    text        NOT NULL,      -- who answers it (the desk for collaboration/outreach)
    reason_code          text        NOT NULL,
    reason               text,
    status               text        NOT NULL DEFAULT 'requested',
    status_reason_code   text,
    status_reason        text,
    bounce_count         integer     NOT NULL DEFAULT 0,
    flagged              boolean     NOT NULL DEFAULT false,
    flag_reason          text,                      -- bounced_too_often | rejected_by_all
    previous_referral_id uuid REFERENCES referrals (id),
    case_id              uuid,                      -- from coordination's CaseOpened
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX referrals_consultation ON referrals (consultation_id);
CREATE INDEX referrals_handler ON referrals (handler_agency_id, status);
CREATE INDEX referrals_from ON referrals (from_agency_id, status);

CREATE TABLE referral_history (
    id           bigserial   PRIMARY KEY,
    referral_id  uuid        NOT NULL REFERENCES referrals (id),
    status       text        NOT NULL,
    by_agency_id text        NOT NULL,
    reason_code  text,
    at           timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX referral_history_referral ON referral_history (referral_id, id);

-- 同意: the person's consent to share with named agencies or the whole collaboration.
CREATE TABLE consents (
    id                 uuid        PRIMARY KEY,
    person_id          uuid        NOT NULL REFERENCES persons (id),
    scope              text        NOT NULL,        -- named_agencies | collaboration
    agency_ids         text[]      NOT NULL DEFAULT '{}',
    method             text        NOT NULL,        -- written | oral | proxy
    proxy_relationship text,
    granted_on         date        NOT NULL,
    expires_on         date,
    note               text,
    recorded_by        text        NOT NULL,
    recorded_at        timestamptz NOT NULL DEFAULT now(),
    withdrawn_on       date,
    withdrawn_by       text,
    withdrawal_reason  text
);
CREATE INDEX consents_person ON consents (person_id);

CREATE TABLE person_match_proposals (
    id           uuid        PRIMARY KEY,
    person_id    uuid        NOT NULL REFERENCES persons (id),   -- the newly reported record
    candidate_id uuid        NOT NULL REFERENCES persons (id),   -- the existing record
    reasons      text[]      NOT NULL,
    status       text        NOT NULL DEFAULT 'proposed',        -- proposed | merged | dismissed
    created_at   timestamptz NOT NULL DEFAULT now(),
    decided_by   text,
    decided_at   timestamptz,
    UNIQUE (person_id, candidate_id)
);
CREATE INDEX person_match_proposals_candidate ON person_match_proposals (candidate_id);

CREATE TABLE person_merges (
    id               uuid        PRIMARY KEY,
    surviving_id     uuid        NOT NULL REFERENCES persons (id),
    merged_id        uuid        NOT NULL REFERENCES persons (id),
    proposal_id      uuid REFERENCES person_match_proposals (id),
    reason           text,
    merged_by        text        NOT NULL,
    merged_at        timestamptz NOT NULL DEFAULT now(),
    unlinked_by      text,
    unlinked_at      timestamptz,
    unlink_reason    text
);
CREATE INDEX person_merges_persons ON person_merges (surviving_id, merged_id);

-- What coordination told us (CaseOpened, TeamMemberJoined/Left): who works on a household.
CREATE TABLE cases (
    case_id         uuid        PRIMARY KEY,
    household_id    uuid,
    consultation_id uuid,
    referral_id     uuid,
    origin          text        NOT NULL,
    opened_event_id text        NOT NULL,
    opened_at       timestamptz NOT NULL,
    ended_on        date
);
CREATE INDEX cases_household ON cases (household_id);

CREATE TABLE case_team (
    case_id      uuid        NOT NULL,
    agency_id    text        NOT NULL,
    household_id uuid,
    role         text,
    joined_at    timestamptz NOT NULL,
    left_at      timestamptz,
    last_event_id text       NOT NULL,
    PRIMARY KEY (case_id, agency_id)
);
CREATE INDEX case_team_agency ON case_team (agency_id, household_id) WHERE left_at IS NULL;

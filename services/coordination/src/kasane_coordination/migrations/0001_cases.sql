-- Cases (多機関協働), their teams, status history and the timeline built from events.
-- Free text (notes) stays in these tables; events carry ids and codes only.

CREATE TABLE cases (
    id                  uuid        PRIMARY KEY,
    origin              text        NOT NULL,   -- referral | meeting | outreach | direct
    status              text        NOT NULL,
    household_id        uuid,
    subject_person_id   uuid,                   -- intake's id of the person the referral was about
    consultation_id     uuid,
    referral_id         uuid        UNIQUE,     -- one referral opens one case, once
    referring_agency_id text,
    area_code           text,
    concern_codes       text[]      NOT NULL DEFAULT '{}',
    patterns            text[]      NOT NULL DEFAULT '{}',
    screening           jsonb,                  -- intake's ScreeningSummary (codes and a score)
    opened_at           timestamptz NOT NULL,
    opened_by_agency_id text        NOT NULL,
    status_changed_at   timestamptz NOT NULL,
    ended_on            date,
    outcome_code        text,
    version             integer     NOT NULL DEFAULT 1
);
CREATE INDEX cases_household ON cases (household_id);
CREATE INDEX cases_consultation ON cases (consultation_id);
CREATE INDEX cases_status ON cases (status);

-- Every status change: who, when, why (the note is free text and never leaves the service).
CREATE TABLE case_transitions (
    id           bigserial   PRIMARY KEY,
    case_id      uuid        NOT NULL REFERENCES cases (id),
    from_status  text,                          -- null when the case opened
    to_status    text        NOT NULL,
    reason_code  text        NOT NULL,
    note         text,
    by_agency_id text        NOT NULL,
    actor        text        NOT NULL,
    meeting_id   uuid,                          -- set when a meeting decided it
    at           timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX case_transitions_case ON case_transitions (case_id, id);

-- The case team (支援チーム): exactly one active lead (主担当) at most.
CREATE TABLE case_team (
    case_id              uuid        NOT NULL REFERENCES cases (id),
    agency_id            text        NOT NULL,
    role                 text        NOT NULL,  -- lead | field_supporter | information_only
    state                text        NOT NULL,  -- invited | active | declined | left
    invited_by_agency_id text,
    since                timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (case_id, agency_id)
);
CREATE UNIQUE INDEX case_team_one_lead ON case_team (case_id) WHERE role = 'lead' AND state = 'active';
CREATE INDEX case_team_agency ON case_team (agency_id, state);

CREATE TABLE team_history (
    id           bigserial   PRIMARY KEY,
    case_id      uuid        NOT NULL REFERENCES cases (id),
    agency_id    text        NOT NULL,
    action       text        NOT NULL,  -- joined | invited | accepted | declined | left | lead_taken | lead_handed_over
    role         text,
    by_agency_id text        NOT NULL,
    actor        text        NOT NULL,
    at           timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX team_history_case ON team_history (case_id, id);

-- Everything that happened around a case, from consumed and published events (ids and
-- codes only). Intake's facts are kept by household and consultation, so a case opened
-- later still shows them; participation's by request.
CREATE TABLE timeline (
    id              bigserial   PRIMARY KEY,
    case_id         uuid,
    household_id    uuid,
    consultation_id uuid,
    request_id      uuid,
    engagement_id   uuid,
    occurred_at     timestamptz NOT NULL,
    source          text        NOT NULL,   -- ce_source
    event_id        text        NOT NULL,   -- ce_id
    type            text        NOT NULL,   -- ce_type
    agency_id       text,
    data            jsonb       NOT NULL
);
CREATE UNIQUE INDEX timeline_event ON timeline
    (source, event_id, COALESCE(case_id, '00000000-0000-0000-0000-000000000000'::uuid));
CREATE INDEX timeline_case ON timeline (case_id, occurred_at);
CREATE INDEX timeline_household ON timeline (household_id, occurred_at);
CREATE INDEX timeline_consultation ON timeline (consultation_id, occurred_at);
CREATE INDEX timeline_request ON timeline (request_id);
CREATE INDEX timeline_engagement ON timeline (engagement_id);

-- Consent (同意) as intake reports it, plus the consent a referral carried.
CREATE TABLE consents (
    id           uuid        PRIMARY KEY,     -- intake's consent_id, or a new id for a referral's consent
    source       text        NOT NULL,        -- consent_event | referral
    person_id    uuid,
    household_id uuid,
    scope        text        NOT NULL,        -- collaboration | named_agencies
    agency_ids   text[]      NOT NULL DEFAULT '{}',
    granted_on   date        NOT NULL,
    expires_on   date,
    withdrawn_on date,
    referral_id  uuid
);
CREATE INDEX consents_household ON consents (household_id);
CREATE INDEX consents_person ON consents (person_id);

CREATE TABLE household_members (
    household_id   uuid    NOT NULL,
    person_id      uuid    NOT NULL,
    relationship   text    NOT NULL,
    lives_together boolean NOT NULL,
    age_band       text,
    PRIMARY KEY (household_id, person_id)
);
CREATE INDEX household_members_person ON household_members (person_id);

-- Referrals intake flagged as bounced between desks (たらい回し).
CREATE TABLE referral_bounces (
    referral_id     uuid        PRIMARY KEY,
    consultation_id uuid        NOT NULL,
    household_id    uuid,
    bounce_count    integer     NOT NULL,
    by_agency_id    text        NOT NULL,
    flagged_at      timestamptz NOT NULL,
    resolved_at     timestamptz
);

-- Cases falling between agencies, as the flags job finds them.
CREATE TABLE case_flags (
    id           uuid        PRIMARY KEY,
    code         text        NOT NULL,   -- no_lead | review_overdue | referral_bounced | no_contact
    case_id      uuid,
    ref_id       uuid,                   -- the plan or referral the flag is about
    household_id uuid,
    detail       jsonb       NOT NULL DEFAULT '{}',
    raised_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    cleared_at   timestamptz
);
CREATE UNIQUE INDEX case_flags_open ON case_flags
    (code, COALESCE(case_id, '00000000-0000-0000-0000-000000000000'::uuid),
     COALESCE(ref_id, '00000000-0000-0000-0000-000000000000'::uuid))
    WHERE cleared_at IS NULL;
CREATE INDEX case_flags_case ON case_flags (case_id) WHERE cleared_at IS NULL;

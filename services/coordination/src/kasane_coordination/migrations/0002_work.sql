-- Assessments, support plans, meetings, outreach and participation requests.
-- Versions are rows, never overwritten; free text stays here.

-- アセスメント: per household member (or the household as a whole), versioned.
CREATE TABLE assessments (
    id                    uuid        PRIMARY KEY,
    case_id               uuid        NOT NULL REFERENCES cases (id),
    person_id             uuid,                  -- null: the household as a whole
    subject               text        NOT NULL,  -- person id as text, or 'household'
    version               integer     NOT NULL,
    needs                 jsonb       NOT NULL,  -- [{field, codes, note}]
    strengths             jsonb       NOT NULL,  -- [text]
    wishes                text,                  -- 本人の意向, in the person's own words
    wishes_language       text,
    risks                 jsonb       NOT NULL,  -- [{code, level, note}]
    fields                text[]      NOT NULL,
    recorded_by_agency_id text        NOT NULL,
    actor                 text        NOT NULL,
    recorded_at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (case_id, subject, version)
);

-- 支援プラン: one row per version.
CREATE TABLE plans (
    id                    uuid        PRIMARY KEY,
    case_id               uuid        NOT NULL REFERENCES cases (id),
    version               integer     NOT NULL,
    status                text        NOT NULL,  -- draft | proposed | approved | returned | under_review | revised
    based_on              uuid        REFERENCES plans (id),
    goals                 jsonb       NOT NULL,  -- [{text, in_persons_words, person_id}]
    start_on              date        NOT NULL,
    review_on             date,
    review_due            date,                  -- set on approval
    created_by_agency_id  text        NOT NULL,
    actor                 text        NOT NULL,
    created_at            timestamptz NOT NULL DEFAULT clock_timestamp(),
    proposed_meeting_id   uuid,
    decided_meeting_id    uuid,
    return_reason_code    text,
    superseded_by         uuid,
    overdue_notified      boolean     NOT NULL DEFAULT false,
    UNIQUE (case_id, version)
);
-- Only an approved plan is active, and only one at a time.
CREATE UNIQUE INDEX plans_one_active ON plans (case_id) WHERE status IN ('approved', 'under_review');

CREATE TABLE plan_actions (
    id                    uuid        PRIMARY KEY,
    plan_id               uuid        NOT NULL REFERENCES plans (id),
    position              integer     NOT NULL,
    description           text        NOT NULL,
    responsible_agency_id text        NOT NULL,
    field                 text,
    start_on              date        NOT NULL,
    review_on             date,
    status                text        NOT NULL,  -- planned | in_progress | done | stopped
    updated_at            timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX plan_actions_plan ON plan_actions (plan_id, position);

CREATE TABLE plan_history (
    id           bigserial   PRIMARY KEY,
    plan_id      uuid        NOT NULL REFERENCES plans (id),
    action_id    uuid,                           -- set for an action's status change
    from_status  text,
    to_status    text        NOT NULL,
    reason_code  text,
    meeting_id   uuid,
    by_agency_id text        NOT NULL,
    actor        text        NOT NULL,
    at           timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX plan_history_plan ON plan_history (plan_id, id);

-- 重層的支援会議 and 支援会議 (Art. 106-6).
CREATE TABLE meetings (
    id              uuid        PRIMARY KEY,
    kind            text        NOT NULL,   -- jusou_shien_kaigi | shien_kaigi
    status          text        NOT NULL,   -- scheduled | held
    scheduled_on    date        NOT NULL,
    held_on         date,
    area_code       text,
    chair_agency_id text        NOT NULL,
    minutes         text,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    held_at         timestamptz
);

CREATE TABLE meeting_members (
    meeting_id    uuid        NOT NULL REFERENCES meetings (id),
    agency_id     text        NOT NULL,
    role          text        NOT NULL,   -- chair | member
    attended_role text,                   -- chair | member | advisor, once held
    added_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (meeting_id, agency_id)
);
CREATE INDEX meeting_members_agency ON meeting_members (agency_id);

-- Each staff member acknowledges the confidentiality duty (守秘義務) before seeing material.
CREATE TABLE meeting_acknowledgements (
    meeting_id      uuid        NOT NULL REFERENCES meetings (id),
    agency_id       text        NOT NULL,
    actor           text        NOT NULL,
    acknowledged_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (meeting_id, agency_id, actor)
);

CREATE TABLE meeting_agenda (
    meeting_id         uuid        NOT NULL REFERENCES meetings (id),
    case_id            uuid        NOT NULL REFERENCES cases (id),
    added_by_agency_id text        NOT NULL,
    added_at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    decision           text,
    plan_id            uuid,
    reason_code        text,
    outcome_code       text,
    PRIMARY KEY (meeting_id, case_id)
);
CREATE INDEX meeting_agenda_case ON meeting_agenda (case_id);

-- Material shared at a meeting: visible to its (acknowledged) members only, never sent anywhere.
CREATE TABLE meeting_materials (
    id           uuid        PRIMARY KEY,
    meeting_id   uuid        NOT NULL REFERENCES meetings (id),
    case_id      uuid        REFERENCES cases (id),
    content      text        NOT NULL,
    by_agency_id text        NOT NULL,
    actor        text        NOT NULL,
    added_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX meeting_materials_meeting ON meeting_materials (meeting_id, added_at);

-- アウトリーチ: engagements with people hard to reach.
CREATE TABLE outreach_engagements (
    id                     uuid        PRIMARY KEY,
    case_id                uuid        REFERENCES cases (id),
    referral_id            uuid        UNIQUE,
    consultation_id        uuid,
    household_id           uuid,
    person_id              uuid,
    area_code              text,
    age_band               text,
    agency_id              text        NOT NULL,   -- the agency doing the outreach
    requested_by_agency_id text,
    reason_code            text        NOT NULL,
    stage                  text        NOT NULL,
    status                 text        NOT NULL,   -- active | paused | closed
    started_on             date        NOT NULL,
    last_contact_on        date,
    next_contact_on        date,
    next_contact_method    text,
    overdue_notified_on    date,                   -- the silence already reported, cleared by a contact
    closed_on              date,
    close_reason_code      text,
    opened_at              timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX outreach_case ON outreach_engagements (case_id);
CREATE INDEX outreach_household ON outreach_engagements (household_id);

CREATE TABLE outreach_agencies (
    engagement_id uuid NOT NULL REFERENCES outreach_engagements (id),
    agency_id     text NOT NULL,
    PRIMARY KEY (engagement_id, agency_id)
);
CREATE INDEX outreach_agencies_agency ON outreach_agencies (agency_id);

CREATE TABLE outreach_contacts (
    id            uuid        PRIMARY KEY,
    engagement_id uuid        NOT NULL REFERENCES outreach_engagements (id),
    status        text        NOT NULL,   -- planned | done
    planned_on    date,
    contacted_on  date,
    method        text        NOT NULL,
    outcome_code  text,
    stage_after   text,
    note          text,
    by_agency_id  text        NOT NULL,
    actor         text        NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX outreach_contacts_engagement ON outreach_contacts (engagement_id, recorded_at);

-- 参加支援 requests made from a plan action; participant_id is a pseudonym for participation.
CREATE TABLE participation_requests (
    id                      uuid        PRIMARY KEY,
    case_id                 uuid        NOT NULL REFERENCES cases (id),
    plan_id                 uuid        NOT NULL REFERENCES plans (id),
    action_id               uuid        NOT NULL REFERENCES plan_actions (id),
    person_id               uuid,
    participant_id          uuid        NOT NULL UNIQUE,
    needs                   text[]      NOT NULL,
    preferences             text[]      NOT NULL,
    required_accommodations text[]      NOT NULL,
    languages               text[]      NOT NULL,
    area_code               text        NOT NULL,
    travel_km               double precision NOT NULL,
    current_step            text,
    max_step                text,
    availability            jsonb       NOT NULL,
    age_band                text,
    requested_by_agency_id  text        NOT NULL,
    actor                   text        NOT NULL,
    requested_at            timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX participation_requests_case ON participation_requests (case_id);

-- Emergency access ("break glass"): a staff member states why they must see a record
-- their agency cannot otherwise see; the grant lasts a few hours and every read under it
-- is flagged in the audit log.
CREATE TABLE break_glass_grants (
    id            uuid        PRIMARY KEY,
    agency_id     text        NOT NULL,
    actor         text        NOT NULL,
    resource_type text        NOT NULL,
    resource_id   text        NOT NULL,
    reason        text        NOT NULL,
    granted_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL
);
CREATE INDEX break_glass_active ON break_glass_grants (agency_id, actor, resource_type, resource_id, expires_at);

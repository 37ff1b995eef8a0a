-- Who read or wrote which record, when and why. Ids only: the record itself stays in its
-- table. Break-glass reads carry the stated reason and a flag.
CREATE TABLE audit_log (
    id            bigserial   PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    agency_id     text        NOT NULL,
    actor         text        NOT NULL,   -- the token's subject (staff member or system)
    action        text        NOT NULL,   -- read, create, update, delete, export, ...
    resource_type text        NOT NULL,
    resource_id   text        NOT NULL,
    purpose       text,
    break_glass   boolean     NOT NULL DEFAULT false,
    trace_id      text
);
CREATE INDEX audit_log_resource ON audit_log (resource_type, resource_id, at);
CREATE INDEX audit_log_agency ON audit_log (agency_id, at);

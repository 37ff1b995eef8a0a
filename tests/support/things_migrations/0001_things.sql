-- A minimal service the platform tests drive: things written over HTTP, events applied.
CREATE TABLE things (
    id      uuid PRIMARY KEY,
    label   text NOT NULL,
    version integer NOT NULL DEFAULT 1
);
CREATE TABLE applied (
    event_id   text PRIMARY KEY,
    thing_id   uuid NOT NULL,
    n          integer NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

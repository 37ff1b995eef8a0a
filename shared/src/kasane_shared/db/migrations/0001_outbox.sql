-- Transactional outbox (DESIGN.md "Reliability patterns"): a state change and its event
-- commit together; the relay publishes rows in seq order. Columns follow Debezium's
-- outbox so a CDC relay could read this table later.
CREATE TABLE outbox (
    seq            bigserial PRIMARY KEY,
    id             uuid        NOT NULL UNIQUE,          -- ce_id
    aggregate_type text        NOT NULL,
    aggregate_id   text        NOT NULL,                 -- the Kafka key
    type           text        NOT NULL,                 -- ce_type, ends in .vN
    topic          text        NOT NULL,                 -- logical topic (stream)
    payload        jsonb       NOT NULL,                 -- CloudEvent data
    headers        jsonb       NOT NULL DEFAULT '{}',    -- further ce_* attributes (subject)
    traceparent    text,                                 -- W3C trace context of the writer
    tracestate     text,
    created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),  -- ce_time
    published_at   timestamptz,
    attempts       integer     NOT NULL DEFAULT 0,
    last_error     text
);

CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;
CREATE INDEX outbox_published_at ON outbox (published_at) WHERE published_at IS NOT NULL;

-- Wake the relay when rows commit; NOTIFY is delivered only on commit.
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('kasane_outbox', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

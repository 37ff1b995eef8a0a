-- Idempotent consumer: an event is applied in the same transaction that claims it here,
-- so a redelivered event finds its claim and changes nothing.
CREATE TABLE inbox (
    consumer     text        NOT NULL,
    source       text        NOT NULL,   -- ce_source
    event_id     text        NOT NULL,   -- ce_id
    type         text        NOT NULL,
    topic        text        NOT NULL,
    partition    integer     NOT NULL,
    "offset"     bigint      NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, source, event_id)
);
CREATE INDEX inbox_processed_at ON inbox (processed_at);

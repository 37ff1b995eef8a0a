-- Idempotency-Key for POSTs: the first response is kept and replayed for a retry.
CREATE TABLE idempotency_keys (
    agency_id     text        NOT NULL,
    key           text        NOT NULL,
    method        text        NOT NULL,
    path          text        NOT NULL,
    request_hash  text        NOT NULL,
    status_code   integer,
    response      jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agency_id, key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);

-- Parking (issue 13): a row the broker keeps refusing (too large, invalid) is set aside
-- after a bounded number of refusals instead of blocking the outbox forever. It stays in
-- the table, visible and replayable (`kasane-<service> outbox unpark --seq N`); later rows
-- of the same key wait behind it, so per-key order holds.
ALTER TABLE outbox
    ADD COLUMN refusals    integer NOT NULL DEFAULT 0,  -- row-specific refusals since (un)parked
    ADD COLUMN parked_at   timestamptz,
    ADD COLUMN park_reason text;                        -- exception class and short message

-- The relay probes this for every row it reads ("is an earlier row of my key parked?");
-- parked rows are few, so the index stays tiny.
CREATE INDEX outbox_parked ON outbox (topic, aggregate_id, seq)
    WHERE parked_at IS NOT NULL AND published_at IS NULL;

-- Anonymous area statistics: counts per month, area, metric and code, nothing else.
-- No person, household, case, consultation or request id is ever stored here: each
-- event is counted once (the inbox guarantees it) and only the count is kept.
CREATE TABLE stat_counts (
    month     date    NOT NULL,   -- first day of the month, in the municipality's time zone
    area_code text    NOT NULL,   -- the area the event named (its "own" count, not rolled up)
    metric    text    NOT NULL,   -- consultations_received, cases_opened, ...
    code      text    NOT NULL,   -- 'total', or a concern / need code
    count     integer NOT NULL CHECK (count >= 0),
    PRIMARY KEY (month, metric, code, area_code)
);

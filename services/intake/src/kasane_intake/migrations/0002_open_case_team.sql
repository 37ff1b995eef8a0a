-- The case team access intake gives (docs/intake.md "Access") lasts while the agency is on
-- the team and the case is open: ending the case ends it, reopening it gives it back.
CREATE VIEW open_case_team AS
SELECT t.*
  FROM case_team t
 WHERE t.left_at IS NULL
   AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.case_id = t.case_id AND c.ended_on IS NOT NULL);

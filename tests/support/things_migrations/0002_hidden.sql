-- A thing its agency may no longer see (what a withdrawn consent or a left team does to a real record).
ALTER TABLE things ADD COLUMN hidden boolean NOT NULL DEFAULT false;

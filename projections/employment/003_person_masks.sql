-- The masked ID number and the time each registry member was recorded, for the flag "the same ID number in two
-- households" (added after the first release: existing databases get the columns here, then
-- `xiaofei rebuild employment` fills them from the events).
ALTER TABLE persons ADD COLUMN IF NOT EXISTS id_masked text;
ALTER TABLE persons ADD COLUMN IF NOT EXISTS recorded_at timestamptz;

-- Membership dates and certification history (added after the first release: existing databases get the
-- column and the table here, then `xiaofei rebuild employment` recomputes the rows from the events).
ALTER TABLE persons ADD COLUMN IF NOT EXISTS joined_on date;

-- Every certification period (认定) of a workshop: a new certification never erases an earlier one. The periods are
-- the only record of certification (the latest period's columns on workshops were derivable, and are gone).
ALTER TABLE workshops DROP COLUMN IF EXISTS certified_on;
ALTER TABLE workshops DROP COLUMN IF EXISTS plaque_number;
ALTER TABLE workshops DROP COLUMN IF EXISTS decertified_on;
CREATE TABLE IF NOT EXISTS workshop_certifications (
    workshop_id    uuid NOT NULL,
    seq            integer NOT NULL,
    plaque_number  text NOT NULL,
    certified_on   date NOT NULL,
    ends_on        date,
    end_reason     text,
    PRIMARY KEY (workshop_id, seq)
);

-- Training lines and hiring awards are recomputed per person.
CREATE INDEX IF NOT EXISTS entitlements_by_person ON entitlements (id_hash, subsidy);

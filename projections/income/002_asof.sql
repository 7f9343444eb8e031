-- As-of (issue 10, point 2): every fact row carries the log position of the event that wrote its current state
-- (`recorded_at`), and the facts that events change (members leave, declarations are superseded, slips are
-- corrected, verified, voided, claim lines rejected) keep each replaced state in `<table>_replaced` with the
-- position that replaced it. The facts as they were known at position P are then
--   rows with recorded_at <= P, plus replaced states with recorded_at <= P < replaced_at,
-- and the derived rows as of P are what `derive` computes from those (`application/income_asof.py`).
-- `log_positions` maps each applied event's position to its own timestamp (for `as_of=<time>`).

ALTER TABLE households ADD COLUMN IF NOT EXISTS recorded_at bigint;
ALTER TABLE members ADD COLUMN IF NOT EXISTS recorded_at bigint;
ALTER TABLE declarations ADD COLUMN IF NOT EXISTS recorded_at bigint;
ALTER TABLE payrolls ADD COLUMN IF NOT EXISTS recorded_at bigint;
ALTER TABLE slips ADD COLUMN IF NOT EXISTS recorded_at bigint;
ALTER TABLE claim_lines ADD COLUMN IF NOT EXISTS recorded_at bigint;
ALTER TABLE claims ADD COLUMN IF NOT EXISTS recorded_at bigint;
ALTER TABLE subsidy_payments ADD COLUMN IF NOT EXISTS recorded_at bigint;
ALTER TABLE ledgers ADD COLUMN IF NOT EXISTS recorded_at bigint;
ALTER TABLE linkage_payments ADD COLUMN IF NOT EXISTS recorded_at bigint;
ALTER TABLE policy_books ADD COLUMN IF NOT EXISTS recorded_at bigint;
ALTER TABLE parameters ADD COLUMN IF NOT EXISTS recorded_at bigint;

CREATE TABLE IF NOT EXISTS members_replaced (LIKE members, replaced_at bigint NOT NULL);
CREATE INDEX IF NOT EXISTS members_replaced_by_household ON members_replaced (county, household_number);
CREATE INDEX IF NOT EXISTS members_replaced_by_hash ON members_replaced (id_hash);
CREATE TABLE IF NOT EXISTS declarations_replaced (LIKE declarations, replaced_at bigint NOT NULL);
CREATE INDEX IF NOT EXISTS declarations_replaced_by_household ON declarations_replaced (county, household_number);
CREATE TABLE IF NOT EXISTS slips_replaced (LIKE slips, replaced_at bigint NOT NULL);
CREATE INDEX IF NOT EXISTS slips_replaced_by_hash ON slips_replaced (id_hash);
CREATE TABLE IF NOT EXISTS claim_lines_replaced (LIKE claim_lines, replaced_at bigint NOT NULL);
CREATE INDEX IF NOT EXISTS claim_lines_replaced_by_claim ON claim_lines_replaced (claim_id);

-- One trigger function per table (static SQL, planned once per session). The replaced tables are named
-- unqualified: every write runs with the projection's schema first in the search path (`SqlView.use_schema`).
CREATE OR REPLACE FUNCTION members_keep_replaced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO members_replaced SELECT (OLD).*, NEW.recorded_at; RETURN NULL; END $$;
CREATE OR REPLACE FUNCTION declarations_keep_replaced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO declarations_replaced SELECT (OLD).*, NEW.recorded_at; RETURN NULL; END $$;
CREATE OR REPLACE FUNCTION slips_keep_replaced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO slips_replaced SELECT (OLD).*, NEW.recorded_at; RETURN NULL; END $$;
CREATE OR REPLACE FUNCTION claim_lines_keep_replaced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO claim_lines_replaced SELECT (OLD).*, NEW.recorded_at; RETURN NULL; END $$;

CREATE OR REPLACE TRIGGER members_keep_replaced AFTER UPDATE ON members
    FOR EACH ROW EXECUTE FUNCTION members_keep_replaced();
CREATE OR REPLACE TRIGGER declarations_keep_replaced AFTER UPDATE ON declarations
    FOR EACH ROW EXECUTE FUNCTION declarations_keep_replaced();
CREATE OR REPLACE TRIGGER slips_keep_replaced AFTER UPDATE ON slips
    FOR EACH ROW EXECUTE FUNCTION slips_keep_replaced();
CREATE OR REPLACE TRIGGER claim_lines_keep_replaced AFTER UPDATE ON claim_lines
    FOR EACH ROW EXECUTE FUNCTION claim_lines_keep_replaced();

CREATE TABLE IF NOT EXISTS log_positions (
    position     bigint PRIMARY KEY,
    recorded_at  timestamptz NOT NULL     -- the event's own timestamp (when its command decided it)
);
CREATE INDEX IF NOT EXISTS log_positions_by_time ON log_positions (recorded_at, position);

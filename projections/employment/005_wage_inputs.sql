-- Wage-subsidy and employer-matching lines are computed by one INSERT ... SELECT (issue 24): each keeps the inputs
-- of its arithmetic in typed columns instead of a stored explanation document; the document is rendered when the
-- line is read, by the rule's own code over the facts the line was computed from (a line is recomputed whenever
-- one of them changes). Lines of the other subsidies, and rows projected before this file, keep `explanation`.
ALTER TABLE entitlements ALTER COLUMN explanation DROP NOT NULL;
-- the slip's gross pay and days (the worker line's base), or the worker subsidy (the employer line's base)
ALTER TABLE entitlements ADD COLUMN IF NOT EXISTS base_fen bigint;
ALTER TABLE entitlements ADD COLUMN IF NOT EXISTS days_worked integer;
-- subsidy.worker_wage_rate (worker line) or subsidy.employer_match_ratio (employer line) in force on parameters_on
ALTER TABLE entitlements ADD COLUMN IF NOT EXISTS rate numeric;
-- before the worker's monthly cap; the cap in force (NULL: none); the worker-month's uncapped total
ALTER TABLE entitlements ADD COLUMN IF NOT EXISTS uncapped_fen bigint;
ALTER TABLE entitlements ADD COLUMN IF NOT EXISTS cap_fen bigint;
ALTER TABLE entitlements ADD COLUMN IF NOT EXISTS month_uncapped_fen bigint;
-- the codes of the eligibility checks that failed (empty when eligible), and the day parameters were read on
ALTER TABLE entitlements ADD COLUMN IF NOT EXISTS failed_checks text[];
ALTER TABLE entitlements ADD COLUMN IF NOT EXISTS parameters_on date;
-- A worker-month's slips by index (the wage rule reads every worker-month a batch reaches).
CREATE INDEX IF NOT EXISTS slips_by_worker_month ON slips (id_hash, month, county);
-- Two indexes that the paged reads' indexes (004_reads.sql) begin with: each line written paid for both twice.
-- (001_tables.sql no longer creates them, nor slips_by_id_hash below: a start would build them again to drop them.)
DROP INDEX IF EXISTS entitlements_by_org_month;
DROP INDEX IF EXISTS entitlements_by_county_month;
-- slips_by_worker_month begins with the ID hash: the older index on it alone is redundant. The bank-reference
-- flag looks references up within a county.
DROP INDEX IF EXISTS slips_by_id_hash;
CREATE INDEX IF NOT EXISTS slips_by_county_bank_ref ON slips (county, bank_ref);

-- Pools kept per month of the sales they count (added after the first release). A database projected before gets the
-- column, filled with the pool's own month (what its rows meant: refunds were split under the plan of the month they
-- were recorded in), and the wider key; `xiaofei rebuild consumption` then splits each refund under its sale's plan.
ALTER TABLE pools ADD COLUMN IF NOT EXISTS sales_month text;
UPDATE pools SET sales_month = month WHERE sales_month IS NULL;
ALTER TABLE pools ALTER COLUMN sales_month SET NOT NULL;
ALTER TABLE pools DROP CONSTRAINT IF EXISTS pools_pkey;
ALTER TABLE pools ADD CONSTRAINT pools_pkey PRIMARY KEY (product_id, month, sales_month);
ALTER TABLE pool_shares ADD COLUMN IF NOT EXISTS sales_month text;
UPDATE pool_shares SET sales_month = month WHERE sales_month IS NULL;
ALTER TABLE pool_shares ALTER COLUMN sales_month SET NOT NULL;
ALTER TABLE pool_shares DROP CONSTRAINT IF EXISTS pool_shares_pkey;
ALTER TABLE pool_shares ADD CONSTRAINT pool_shares_pkey PRIMARY KEY (product_id, month, sales_month, payee);
-- The day of the sale a row counts (its pool's sales month), apart from the day certification is judged (an order's
-- placement day, issue 22 point 13). Rows projected before judged both on the receipt day: cert_day holds it.
ALTER TABLE sales ADD COLUMN IF NOT EXISTS sale_day date;
UPDATE sales SET sale_day = cert_day WHERE sale_day IS NULL;
ALTER TABLE sales ALTER COLUMN sale_day SET NOT NULL;
-- The day time-dependent flags are judged on (the business day of the latest event seen; issue 22 point 10).
CREATE TABLE IF NOT EXISTS judged_day (
    one  boolean PRIMARY KEY DEFAULT true CHECK (one),
    day  date NOT NULL
);
-- Each household's category history (issue 22 point 16: a plan household's share in a month follows its category
-- then). A database projected before has none for its households (they keep their plan weights, as before, in this
-- projection as in the income one) until `xiaofei rebuild consumption` and `income` write the real one.
CREATE TABLE IF NOT EXISTS household_categories (
    county            text NOT NULL,
    household_number  text NOT NULL,
    seq               integer NOT NULL,     -- the household event's version (1: its registration)
    category          text NOT NULL,
    effective_from    date NOT NULL,
    PRIMARY KEY (county, household_number, seq)
);

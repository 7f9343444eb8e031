-- The copied sales keep the consumption table's columns (added after the first release): the day of the sale a row
-- counts, apart from the day certification is judged. Rows copied before judged both on the receipt day.
ALTER TABLE sales ADD COLUMN IF NOT EXISTS sale_day date;
UPDATE sales SET sale_day = cert_day WHERE sale_day IS NULL;
ALTER TABLE sales ALTER COLUMN sale_day SET NOT NULL;

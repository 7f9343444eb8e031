-- The county dashboard (县级看板). A derived projection: its rows are sums and counts over the read models of the
-- registry, employment, consumption and income projections (schemas rm_registry, rm_employment, rm_consumption,
-- rm_income), recomputed per county at the end of each batch, never past the position all four have reached.
-- Areas: level 'county' (area_code = the county code), 'township' (the first 9 digits of a village code, GB/T 10114)
-- and 'village' (12 digits). A fact without a village of its county counts at county level only.

CREATE TABLE IF NOT EXISTS area_months (
    county                  text NOT NULL,
    area_level              text NOT NULL,     -- county | township | village
    area_code               text NOT NULL,
    month                   text NOT NULL,     -- YYYY-MM (Asia/Shanghai business dates)
    certified_sellers       integer,           -- county level only: sellers certified on the month's last day
    certified_products      integer NOT NULL,  -- products (by origin village) certified on the month's last day
    sales_fen               bigint NOT NULL,   -- recognised sales (counted, net of refunds recorded in the month)
    sales_lines             integer NOT NULL,
    households_reached      integer NOT NULL,  -- households with money attributed in the month
    attributed_fen          bigint NOT NULL,   -- revenue shares accrued + procurement, rent, dividends paid
    workshops_reporting     integer NOT NULL,  -- workshops with a payroll month
    workshops_certified     integer NOT NULL,  -- workshops certified on the month's last day
    workshops_eligible      integer NOT NULL,  -- workshop months meeting the criteria
    workers_total           integer NOT NULL,  -- staff on the workshop months (a person in two workshops counts twice)
    workers_poor            integer NOT NULL,  -- qualifying (registered eligible) workers on them
    wages_fen               bigint NOT NULL,   -- gross pay of the month's current, not voided slips
    slips                   integer NOT NULL,
    average_wage_fen        bigint,            -- wages ÷ slips, half-up; NULL without slips
    subsidies_entitled_fen  bigint NOT NULL,
    subsidies_claimed_fen   bigint NOT NULL,   -- claim lines of the month, not rejected, of claims filed
    subsidies_paid_fen      bigint,            -- county level only: claim payments by payment month
    PRIMARY KEY (county, area_level, area_code, month)
);

CREATE TABLE IF NOT EXISTS sales_breakdown (
    county       text NOT NULL,
    area_level   text NOT NULL,
    area_code    text NOT NULL,
    month        text NOT NULL,
    dimension    text NOT NULL,     -- category | buyer_type | tag | channel
    key          text NOT NULL,     -- the value ('none' for a sale without a tag)
    sales_fen    bigint NOT NULL,
    sales_lines  integer NOT NULL,
    PRIMARY KEY (county, area_level, area_code, month, dimension, key)
);

CREATE TABLE IF NOT EXISTS reserved_share_years (
    county                text NOT NULL,
    year                  integer NOT NULL,
    budget_units          integer NOT NULL,  -- budget units registered in the county
    filed                 integer NOT NULL,  -- of them, filed for the year
    exempt                integer NOT NULL,  -- filed "no canteen"
    reserved_fen          bigint NOT NULL,
    purchased_fen         bigint NOT NULL,   -- counted purchases credited to the county's units, net of refunds
    units_reached         integer NOT NULL,  -- units whose purchases reached their reserved amount
    PRIMARY KEY (county, year)
);

CREATE TABLE IF NOT EXISTS household_flag_counts (
    county        text NOT NULL,
    area_level    text NOT NULL,
    area_code     text NOT NULL,
    year          integer NOT NULL,
    flag          text NOT NULL,     -- below_poverty_line | below_monitoring_threshold | sudden_drop
    households    integer NOT NULL,
    PRIMARY KEY (county, area_level, area_code, year, flag)
);

CREATE TABLE IF NOT EXISTS income_years (
    county              text NOT NULL,
    area_level          text NOT NULL,
    area_code           text NOT NULL,
    year                integer NOT NULL,
    households          integer NOT NULL,  -- households with any income of the year
    members             integer NOT NULL,
    net_fen             bigint NOT NULL,
    band_below_line     integer NOT NULL,  -- per capita under the poverty line
    band_below_threshold integer NOT NULL, -- at/above the line (or none set), under the monitoring threshold
    band_above          integer NOT NULL,  -- at/above the threshold (or neither set)
    band_unknown        integer NOT NULL,  -- no member in the year
    PRIMARY KEY (county, area_level, area_code, year)
);

CREATE TABLE IF NOT EXISTS open_flags (
    county   text NOT NULL,
    source   text NOT NULL,   -- employment | consumption
    kind     text NOT NULL,
    open     integer NOT NULL,
    PRIMARY KEY (county, source, kind)
);

CREATE TABLE IF NOT EXISTS county_totals (
    county                    text PRIMARY KEY,
    recoveries_opened_fen     bigint NOT NULL,   -- subsidies ordered back (追回)
    recoveries_settled_fen    bigint NOT NULL    -- of which recovered
);

CREATE TABLE IF NOT EXISTS reach_years (
    county              text NOT NULL,
    area_level          text NOT NULL,
    area_code           text NOT NULL,
    year                integer NOT NULL,
    households_reached  integer NOT NULL,  -- distinct households with money attributed in the year
    attributed_fen      bigint NOT NULL,
    PRIMARY KEY (county, area_level, area_code, year)
);

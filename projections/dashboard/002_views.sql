-- Views for BI tools (the stable contract documented in README.md): each names its area plainly and carries fen.
-- They read this schema's tables only, so a rebuild (which renames schemas) never breaks them.

CREATE OR REPLACE VIEW bi_county_months AS
SELECT county, month, certified_sellers, certified_products, sales_fen, sales_lines, households_reached,
       attributed_fen, workshops_reporting, workshops_certified, workshops_eligible, workers_total, workers_poor,
       wages_fen, slips, average_wage_fen, subsidies_entitled_fen, subsidies_claimed_fen, subsidies_paid_fen
FROM area_months WHERE area_level = 'county';

CREATE OR REPLACE VIEW bi_township_months AS
SELECT county, area_code AS township_code, month, certified_products, sales_fen, sales_lines, households_reached,
       attributed_fen, workshops_reporting, workshops_certified, workshops_eligible, workers_total, workers_poor,
       wages_fen, slips, average_wage_fen, subsidies_entitled_fen, subsidies_claimed_fen
FROM area_months WHERE area_level = 'township';

CREATE OR REPLACE VIEW bi_village_months AS
SELECT county, left(area_code, 9) AS township_code, area_code AS village_code, month, certified_products, sales_fen,
       sales_lines, households_reached, attributed_fen, workshops_reporting, workshops_certified, workshops_eligible,
       workers_total, workers_poor, wages_fen, slips, average_wage_fen, subsidies_entitled_fen, subsidies_claimed_fen
FROM area_months WHERE area_level = 'village';

CREATE OR REPLACE VIEW bi_county_sales AS
SELECT county, month, dimension, key, sales_fen, sales_lines
FROM sales_breakdown WHERE area_level = 'county';

CREATE OR REPLACE VIEW bi_county_years AS
SELECT i.county, i.year, i.households, i.members, i.net_fen, i.band_below_line, i.band_below_threshold,
       i.band_above, i.band_unknown,
       coalesce((SELECT households FROM household_flag_counts f WHERE f.county = i.county AND f.area_level = 'county'
                 AND f.year = i.year AND f.flag = 'below_poverty_line'), 0) AS flagged_below_poverty_line,
       coalesce((SELECT households FROM household_flag_counts f WHERE f.county = i.county AND f.area_level = 'county'
                 AND f.year = i.year AND f.flag = 'below_monitoring_threshold'), 0) AS flagged_below_threshold,
       coalesce((SELECT households FROM household_flag_counts f WHERE f.county = i.county AND f.area_level = 'county'
                 AND f.year = i.year AND f.flag = 'sudden_drop'), 0) AS flagged_sudden_drop,
       r.budget_units, r.filed AS budget_units_filed, r.reserved_fen, r.purchased_fen, r.units_reached
FROM income_years i LEFT JOIN reserved_share_years r ON r.county = i.county AND r.year = i.year
WHERE i.area_level = 'county';

CREATE OR REPLACE VIEW bi_open_flags AS
SELECT county, source, kind, open FROM open_flags;

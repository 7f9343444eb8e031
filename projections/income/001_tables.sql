-- The household income projection (收入核算). Facts: its own copies of the registry, slips, subsidy payments,
-- linkage payments and parameters, written as their events arrive. Derived: each household's income lines,
-- months, years and flags, recomputed at the end of a batch for the households its events reach.

CREATE TABLE IF NOT EXISTS households (
    county            text NOT NULL,
    household_number  text NOT NULL,
    household_id      uuid NOT NULL UNIQUE,
    village_code      text NOT NULL,
    PRIMARY KEY (county, household_number)
);

CREATE TABLE IF NOT EXISTS members (
    county            text NOT NULL,
    household_number  text NOT NULL,
    person_number     text NOT NULL,
    id_hash           text NOT NULL,
    joined_on         date,             -- NULL for founding members
    left_on           date,             -- not a member from this day
    PRIMARY KEY (county, household_number, person_number)
);
CREATE INDEX IF NOT EXISTS members_by_hash ON members (id_hash);

CREATE TABLE IF NOT EXISTS declarations (
    county            text NOT NULL,
    household_number  text NOT NULL,
    year              integer NOT NULL,
    income_type       text NOT NULL,
    amount_fen        bigint NOT NULL,
    note              text NOT NULL,
    version           integer NOT NULL,  -- the household event that declared it (a later one supersedes)
    PRIMARY KEY (county, household_number, year, income_type)
);

CREATE TABLE IF NOT EXISTS payrolls (
    payroll_id    uuid PRIMARY KEY,
    workshop_id   uuid NOT NULL,
    organisation  text NOT NULL,
    county        text NOT NULL,
    month         text NOT NULL
);

CREATE TABLE IF NOT EXISTS slips (
    slip_id           uuid PRIMARY KEY,
    payroll_id        uuid NOT NULL,
    id_hash           text NOT NULL,
    version           integer NOT NULL,
    net_fen           bigint NOT NULL,
    gross_fen         bigint NOT NULL,
    voided            boolean NOT NULL DEFAULT false,
    verified_version  integer
);
CREATE INDEX IF NOT EXISTS slips_by_hash ON slips (id_hash);

CREATE TABLE IF NOT EXISTS claim_lines (
    claim_id     uuid NOT NULL,
    line_no      integer NOT NULL,
    payee        text NOT NULL,
    slip_id      uuid NOT NULL,
    month        text NOT NULL,
    subsidy      text NOT NULL,
    amount_fen   bigint NOT NULL,
    explanation  jsonb NOT NULL,
    rejected     boolean NOT NULL DEFAULT false,
    PRIMARY KEY (claim_id, line_no)
);

CREATE TABLE IF NOT EXISTS claims (
    claim_id      uuid PRIMARY KEY,
    organisation  text NOT NULL,
    county        text NOT NULL
);

CREATE TABLE IF NOT EXISTS subsidy_payments (
    claim_id    uuid NOT NULL,
    payee_hash  text NOT NULL,
    amount_fen  bigint NOT NULL,
    reference   text NOT NULL,
    paid_on     date NOT NULL,
    PRIMARY KEY (claim_id, payee_hash)
);
CREATE INDEX IF NOT EXISTS subsidy_payments_by_hash ON subsidy_payments (payee_hash);

CREATE TABLE IF NOT EXISTS ledgers (
    ledger_id  uuid PRIMARY KEY,
    seller     text NOT NULL,
    county     text NOT NULL
);

CREATE TABLE IF NOT EXISTS linkage_payments (
    seller      text NOT NULL,
    reference   text NOT NULL,
    county      text NOT NULL,
    kind        text NOT NULL,
    payee       text NOT NULL,
    amount_fen  bigint NOT NULL,
    paid_on     date NOT NULL,
    produce     text,
    quantity    text,
    product_id  uuid,
    PRIMARY KEY (seller, reference)
);
CREATE INDEX IF NOT EXISTS linkage_payments_by_payee ON linkage_payments (county, payee);

CREATE TABLE IF NOT EXISTS policy_books (
    book_id  uuid PRIMARY KEY,
    scope    text NOT NULL
);

CREATE TABLE IF NOT EXISTS parameters (
    scope           text NOT NULL,
    seq             integer NOT NULL,
    name            text NOT NULL,
    value           text NOT NULL,
    effective_from  date NOT NULL,
    effective_to    date,
    source          text NOT NULL,
    era             text NOT NULL,
    PRIMARY KEY (scope, seq)
);

-- Derived. One line per event behind a figure; month NULL for a yearly declaration.
CREATE TABLE IF NOT EXISTS income_lines (
    county            text NOT NULL,
    household_number  text NOT NULL,
    line_key          text NOT NULL,     -- slip:<id> | subsidy:<claim>:worker:<hash> | payment:<seller>:<reference> | declared:<year>:<type>
    year              integer NOT NULL,
    month             text,
    category          text NOT NULL,     -- wage | operating | property | transfer
    kind              text NOT NULL,
    amount_fen        bigint NOT NULL,
    cost_fen          bigint NOT NULL,   -- operating cost deducted (procurement only)
    source            jsonb NOT NULL,    -- the event behind it and, for subsidies, the claim lines
    PRIMARY KEY (county, household_number, line_key)
);
CREATE INDEX IF NOT EXISTS income_lines_by_year ON income_lines (county, household_number, year);

CREATE TABLE IF NOT EXISTS household_months (
    county              text NOT NULL,
    household_number    text NOT NULL,
    month               text NOT NULL,
    wage_fen            bigint NOT NULL,
    operating_fen       bigint NOT NULL,
    operating_cost_fen  bigint NOT NULL,
    property_fen        bigint NOT NULL,
    transfer_fen        bigint NOT NULL,
    net_fen             bigint NOT NULL,
    members             integer NOT NULL,
    PRIMARY KEY (county, household_number, month)
);

CREATE TABLE IF NOT EXISTS household_years (
    county              text NOT NULL,
    household_number    text NOT NULL,
    year                integer NOT NULL,
    village_code        text NOT NULL,
    wage_fen            bigint NOT NULL,
    operating_fen       bigint NOT NULL,
    operating_cost_fen  bigint NOT NULL,
    property_fen        bigint NOT NULL,
    transfer_fen        bigint NOT NULL,
    gross_fen           bigint NOT NULL,
    net_fen             bigint NOT NULL,
    members             integer NOT NULL,
    per_capita_net_fen  bigint,          -- NULL without a member in the year
    poverty_line_fen    bigint,          -- NULL when the province has not set one
    threshold_fen       bigint,
    recent_fen          bigint NOT NULL, -- net platform income of the sudden-drop window
    earlier_fen         bigint NOT NULL, -- the same months a year earlier
    flags               text[] NOT NULL,
    PRIMARY KEY (county, household_number, year)
);

CREATE TABLE IF NOT EXISTS flags (
    county            text NOT NULL,
    household_number  text NOT NULL,
    year              integer NOT NULL,
    flag              text NOT NULL,
    evidence          jsonb NOT NULL,
    PRIMARY KEY (county, household_number, year, flag)
);

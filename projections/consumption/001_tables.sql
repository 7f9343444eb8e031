-- Consumption read model (projection "consumption"): certifications and their periods, sellers, products and their
-- linkage plans, buyers and reserved-share filings, orders, channel sales, the recognised-sales ledger, revenue-share
-- pools and their split, linkage payments, and integrity flags. It keeps its own copy of the registry facts and
-- policy parameters it needs, so it can be rebuilt alone and gives the same rows.

CREATE TABLE IF NOT EXISTS certifications (
    certification_id    uuid PRIMARY KEY,
    subject             text NOT NULL,
    subject_id          text NOT NULL,
    county              text NOT NULL,
    organisation        text NOT NULL,
    status              text NOT NULL,
    applied_on          date NOT NULL,
    certificate_number  text,
    valid_from          date,
    valid_to            date,
    last_step_on        date NOT NULL,
    price_check         jsonb,
    open_objections     integer NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS certifications_by_county ON certifications (county, subject, status);
CREATE UNIQUE INDEX IF NOT EXISTS certifications_by_subject ON certifications (subject, subject_id);

CREATE TABLE IF NOT EXISTS cert_periods (
    certification_id  uuid NOT NULL,
    seq               integer NOT NULL,
    valid_from        date NOT NULL,
    valid_to          date NOT NULL,
    PRIMARY KEY (certification_id, seq)
);

CREATE TABLE IF NOT EXISTS sellers (
    credit_code          text PRIMARY KEY,
    county               text NOT NULL,
    name                 text NOT NULL,
    form                 text NOT NULL,
    mechanisms           text[] NOT NULL DEFAULT '{}',
    linkage_declared_on  date
);
CREATE INDEX IF NOT EXISTS sellers_by_county ON sellers (county, credit_code);

CREATE TABLE IF NOT EXISTS products (
    product_id       uuid PRIMARY KEY,
    seller           text NOT NULL,
    county           text NOT NULL,
    name             text NOT NULL,
    category         text NOT NULL,
    specification    text NOT NULL,
    unit             text NOT NULL,
    price_fen        bigint NOT NULL,
    stock            bigint NOT NULL,
    origin_county    text NOT NULL,
    origin_village   text,
    yearly_capacity  bigint NOT NULL,
    listed_on        date NOT NULL,
    delisted_on      date
);
CREATE INDEX IF NOT EXISTS products_by_seller ON products (seller, product_id);
CREATE INDEX IF NOT EXISTS products_by_county ON products (county, product_id);

-- Every version of a product's linkage plan: the one with the latest effective_month not after a month rules it.
CREATE TABLE IF NOT EXISTS product_plans (
    product_id          uuid NOT NULL,
    version             integer NOT NULL,
    effective_month     text NOT NULL,
    revenue_share_rate  numeric NOT NULL,
    mechanisms          text[] NOT NULL,
    households          jsonb NOT NULL,
    PRIMARY KEY (product_id, version)
);

CREATE TABLE IF NOT EXISTS reference_prices (
    county          text NOT NULL,
    seq             integer NOT NULL,
    category        text NOT NULL,
    specification   text NOT NULL,
    unit            text NOT NULL,
    price_fen       bigint NOT NULL,
    effective_from  date NOT NULL,
    PRIMARY KEY (county, seq)
);

CREATE TABLE IF NOT EXISTS buyers (
    buyer_key   text PRIMARY KEY,
    name        text NOT NULL,
    buyer_type  text NOT NULL,
    county      text NOT NULL,
    counts_for  text
);
CREATE INDEX IF NOT EXISTS buyers_by_county ON buyers (county, buyer_type, buyer_key);

CREATE TABLE IF NOT EXISTS share_filings (
    buyer_key           text NOT NULL,
    year                integer NOT NULL,
    kind                text NOT NULL,
    canteen_budget_fen  bigint NOT NULL,
    reserved_share_rate numeric NOT NULL,
    shared_with         text,
    reserved_fen        bigint NOT NULL,
    minimum_rate        numeric NOT NULL,
    filed_on            date NOT NULL,
    PRIMARY KEY (buyer_key, year)
);

CREATE TABLE IF NOT EXISTS orders (
    order_id      uuid PRIMARY KEY,
    buyer         text NOT NULL,
    buyer_type    text NOT NULL,
    counts_for    text,
    seller        text NOT NULL,
    county        text NOT NULL,
    tag           text,
    status        text NOT NULL,
    placed_on     date NOT NULL,
    received_on   date,
    total_fen     bigint NOT NULL,
    refunded_fen  bigint NOT NULL DEFAULT 0,
    placed_at     timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_by_buyer ON orders (buyer, placed_at, order_id);
CREATE INDEX IF NOT EXISTS orders_by_seller ON orders (seller, placed_at, order_id);

CREATE TABLE IF NOT EXISTS order_lines (
    order_id        uuid NOT NULL,
    line_no         integer NOT NULL,
    product_id      uuid NOT NULL,
    quantity        bigint NOT NULL,
    amount_fen      bigint NOT NULL,
    refunded_fen    bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (order_id, line_no)
);

CREATE TABLE IF NOT EXISTS channel_uploads (
    upload_id        uuid PRIMARY KEY,
    uploader         text NOT NULL,
    county           text NOT NULL,
    idempotency_key  text NOT NULL,
    media_type       text NOT NULL,
    rows             integer NOT NULL,
    recorded         integer NOT NULL,
    already_known    integer NOT NULL,
    recorded_at      timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS channel_uploads_by_uploader ON channel_uploads (uploader, recorded_at, upload_id);

-- The recognised-sales ledger: one row per received order line (its amount net of refunds made before receipt,
-- dated by the receipt), per refund after receipt (negative, dated the day it was recorded) and per channel sale.
-- `counted`: the product's and the seller's certificates both cover `cert_day`, the day certification is judged: an
-- order's placement day (its status is captured when placed), a channel sale's day; a refund's is its sale's.
CREATE TABLE IF NOT EXISTS sales (
    sale_key       text PRIMARY KEY,
    source         text NOT NULL,
    order_id       uuid,
    channel_sale   uuid,
    product_id     uuid NOT NULL,
    seller         text NOT NULL,
    county         text NOT NULL,
    category       text NOT NULL,
    village        text,
    day            date NOT NULL,
    month          text NOT NULL,
    cert_day       date NOT NULL,
    quantity       bigint NOT NULL,
    amount_fen     bigint NOT NULL,
    buyer          text,
    buyer_type     text NOT NULL,
    budget_unit    text,
    tag            text,
    channel        text NOT NULL,
    counted        boolean NOT NULL,
    sale_day       date NOT NULL      -- the day of the sale the row counts: a refund's is its sale's receipt day
);
CREATE INDEX IF NOT EXISTS sales_by_product ON sales (product_id, month);
CREATE INDEX IF NOT EXISTS sales_by_county ON sales (county, month);
CREATE INDEX IF NOT EXISTS sales_by_unit ON sales (budget_unit, day);

-- A product's revenue-share pool (产品收益分红) of a month and its split (三七分配, largest remainder), one per month of
-- the sales it counts: a month's own sales (sales_month = month) under the plan in force in the month, and each
-- earlier month whose sales were refunded in this month under that earlier month's plan (a refund takes back what
-- its sale gave, from whom it gave it).
CREATE TABLE IF NOT EXISTS pools (
    product_id        uuid NOT NULL,
    month             text NOT NULL,
    sales_month       text NOT NULL,
    seller            text NOT NULL,
    county            text NOT NULL,
    net_sales_fen     bigint NOT NULL,
    rate              numeric NOT NULL,
    pool_fen          bigint NOT NULL,
    collective_share  numeric NOT NULL,
    collective_fen    bigint NOT NULL,
    plan_version      integer NOT NULL,
    PRIMARY KEY (product_id, month, sales_month)
);
CREATE INDEX IF NOT EXISTS pools_by_county ON pools (county, month);

CREATE TABLE IF NOT EXISTS pool_shares (
    product_id        uuid NOT NULL,
    month             text NOT NULL,
    sales_month       text NOT NULL,
    payee             text NOT NULL,
    household_county  text,
    weight            integer NOT NULL,
    amount_fen        bigint NOT NULL,
    PRIMARY KEY (product_id, month, sales_month, payee)
);
CREATE INDEX IF NOT EXISTS pool_shares_by_household ON pool_shares (household_county, payee);

CREATE TABLE IF NOT EXISTS linkage_payments (
    seller       text NOT NULL,
    reference    text NOT NULL,
    county       text NOT NULL,
    kind         text NOT NULL,
    payee        text NOT NULL,
    payee_county text NOT NULL,
    -- the county of the payee household: a payout's product's origin county, else the seller's; '' for collective
    amount_fen   bigint NOT NULL,
    paid_on      date NOT NULL,
    produce      text,
    quantity     text,
    product_id   uuid,
    recorded_at  timestamptz NOT NULL,
    PRIMARY KEY (seller, reference)
);
CREATE INDEX IF NOT EXISTS linkage_payments_by_payee ON linkage_payments (payee_county, payee);

-- Its own copy of the registry facts the flags need: each household's current category.
CREATE TABLE IF NOT EXISTS households (
    household_id      uuid PRIMARY KEY,
    county            text NOT NULL,
    household_number  text NOT NULL,
    village_code      text NOT NULL,
    category          text NOT NULL,
    since             date NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS households_by_number ON households (county, household_number);

-- What an aggregate's later events do not repeat: a seller's, a buyer's, a price book's or a ledger's key, by its id.
CREATE TABLE IF NOT EXISTS aggregate_keys (
    originator_id  uuid PRIMARY KEY,
    key            text NOT NULL
);

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

-- Integrity flags raised as events arrive (capacity, price band, plan household): a row exists while the flag holds
-- (a flag that no longer holds is deleted). Revenue share owed too long depends on today: it is computed when read.
CREATE TABLE IF NOT EXISTS flags (
    flag_key  text PRIMARY KEY,
    county    text NOT NULL,
    kind      text NOT NULL,
    subject   text NOT NULL,
    evidence  jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS flags_by_county ON flags (county, kind, flag_key);

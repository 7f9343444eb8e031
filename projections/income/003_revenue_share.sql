-- Revenue share accrued (产品收益分红, issue 10 point 1): a household's property income is its share of a product's
-- benefit pool in the month of the sales, so this projection keeps its own copy of the facts a pool is computed
-- from: certificates and their periods, products and their linkage plans (利益联结方案), the platform orders and
-- their lines (to know each line's amount net of refunds at receipt), and the recognised-sale rows. These tables
-- have exactly the columns of the consumption projection's tables of the same names (a test compares them) and
-- are written by the consumption projection's own writers, so the two projections agree on which sales exist
-- and whether they count; `recorded_at` (last column, filled from the setting `xiaofei.position` that the
-- projection sets for each event it hands to those writers) stamps each row with its event's log position for
-- as-of reads (002_asof.sql). Of these tables only `cert_periods` changes after it is written (a renewal,
-- suspension or revocation moves a period's end): its replaced states are kept in `cert_periods_replaced`.
-- `certifications` and `products` rows are updated (status, stock) but derive reads only what their first event
-- wrote (subject, seller, counties), so they count as written once; `orders` and `order_lines` are read only while
-- events are applied.

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
    open_objections     integer NOT NULL DEFAULT 0,
    recorded_at         bigint NOT NULL DEFAULT current_setting('xiaofei.position')::bigint
);
CREATE INDEX IF NOT EXISTS certifications_by_subject ON certifications (subject, subject_id);

CREATE TABLE IF NOT EXISTS cert_periods (
    certification_id  uuid NOT NULL,
    seq               integer NOT NULL,
    valid_from        date NOT NULL,
    valid_to          date NOT NULL,
    recorded_at       bigint NOT NULL DEFAULT current_setting('xiaofei.position')::bigint,
    PRIMARY KEY (certification_id, seq)
);

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
    delisted_on      date,
    recorded_at      bigint NOT NULL DEFAULT current_setting('xiaofei.position')::bigint
);
CREATE INDEX IF NOT EXISTS products_by_seller ON products (seller);

CREATE TABLE IF NOT EXISTS product_plans (
    product_id          uuid NOT NULL,
    version             integer NOT NULL,
    effective_month     text NOT NULL,
    revenue_share_rate  numeric NOT NULL,
    mechanisms          text[] NOT NULL,
    households          jsonb NOT NULL,
    recorded_at         bigint NOT NULL DEFAULT current_setting('xiaofei.position')::bigint,
    PRIMARY KEY (product_id, version)
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

CREATE TABLE IF NOT EXISTS order_lines (
    order_id        uuid NOT NULL,
    line_no         integer NOT NULL,
    product_id      uuid NOT NULL,
    quantity        bigint NOT NULL,
    amount_fen      bigint NOT NULL,
    refunded_fen    bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (order_id, line_no)
);

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
    counted        boolean NOT NULL,   -- as the consumption writer left it (false): derive decides with COUNTED
    sale_day       date NOT NULL,
    recorded_at    bigint NOT NULL DEFAULT current_setting('xiaofei.position')::bigint
);
CREATE INDEX IF NOT EXISTS sales_by_product ON sales (product_id, month);

CREATE TABLE IF NOT EXISTS cert_periods_replaced (LIKE cert_periods, replaced_at bigint NOT NULL);
CREATE INDEX IF NOT EXISTS cert_periods_replaced_by_id ON cert_periods_replaced (certification_id);

-- A period's change is stamped with the event that changed it, and its earlier state kept.
CREATE OR REPLACE FUNCTION cert_periods_keep_replaced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.recorded_at := current_setting('xiaofei.position')::bigint;
    INSERT INTO cert_periods_replaced SELECT (OLD).*, NEW.recorded_at;
    RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER cert_periods_keep_replaced BEFORE UPDATE ON cert_periods
    FOR EACH ROW EXECUTE FUNCTION cert_periods_keep_replaced();

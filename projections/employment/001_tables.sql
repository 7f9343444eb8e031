-- Employment read model (projection "employment"): organisations, workshops, workers, wage slips, bank
-- statements, and the subsidy entitlements computed from them with their explanations. It keeps its own copy
-- of the registry facts and policy parameters it needs, so it can be rebuilt alone and gives the same rows.

CREATE TABLE IF NOT EXISTS organisations (
    credit_code  text PRIMARY KEY,
    name         text NOT NULL,
    form         text NOT NULL,
    county       text NOT NULL,
    address      text NOT NULL
);

CREATE TABLE IF NOT EXISTS workshops (
    workshop_id     uuid PRIMARY KEY,
    organisation    text NOT NULL,
    county          text NOT NULL,
    name            text NOT NULL,
    workshop_type   text NOT NULL,
    village_code    text NOT NULL,
    premises        text NOT NULL,
    last_refusal    text
);
CREATE INDEX IF NOT EXISTS workshops_by_org ON workshops (organisation);

CREATE TABLE IF NOT EXISTS employments (
    employment_id  uuid PRIMARY KEY,
    workshop_id    uuid NOT NULL,
    id_hash        text NOT NULL,
    id_masked      text NOT NULL,
    name           text NOT NULL,
    contract_type  text NOT NULL,
    start_date     date NOT NULL,
    end_date       date,
    pay_form       text NOT NULL
);
CREATE INDEX IF NOT EXISTS employments_by_workshop ON employments (workshop_id);

CREATE TABLE IF NOT EXISTS slips (
    slip_id            uuid PRIMARY KEY,
    workshop_id        uuid NOT NULL,
    organisation       text NOT NULL,
    county             text NOT NULL,
    month              text NOT NULL,
    employment_id      uuid NOT NULL,
    id_hash            text NOT NULL,
    version            integer NOT NULL,
    gross_fen          bigint NOT NULL,
    net_fen            bigint NOT NULL,
    days_worked        integer NOT NULL,
    pieces             integer,
    pay_date           date NOT NULL,
    method             text NOT NULL,
    bank_ref           text NOT NULL,
    payee_account      text NOT NULL,
    voided             boolean NOT NULL DEFAULT false,
    verified_version   integer,
    verified_evidence  text,
    rejected_reason    text
);
CREATE INDEX IF NOT EXISTS slips_by_workshop_month ON slips (workshop_id, month);
CREATE INDEX IF NOT EXISTS slips_by_county ON slips (county, month);

CREATE TABLE IF NOT EXISTS slip_versions (
    slip_id      uuid NOT NULL,
    version      integer NOT NULL,
    gross_fen    bigint NOT NULL,
    net_fen      bigint NOT NULL,
    days_worked  integer NOT NULL,
    reason       text NOT NULL,
    upload_id    uuid NOT NULL,
    recorded_at  timestamptz NOT NULL,
    PRIMARY KEY (slip_id, version)
);

CREATE TABLE IF NOT EXISTS statement_lines (
    statement_id   uuid NOT NULL,
    line           integer NOT NULL,
    organisation   text NOT NULL,
    county         text NOT NULL,
    paid_on        date NOT NULL,
    amount_fen     bigint NOT NULL,
    payee_name     text NOT NULL,
    payee_account  text NOT NULL,
    reference      text NOT NULL,
    matched_slip   uuid,
    PRIMARY KEY (statement_id, line)
);
CREATE INDEX IF NOT EXISTS statement_lines_by_org ON statement_lines (organisation);

-- Copies of the registry and policy facts the rules need.
CREATE TABLE IF NOT EXISTS persons (
    id_hash           text NOT NULL,
    county            text NOT NULL,
    household_number  text NOT NULL,
    person_number     text NOT NULL,
    birth_date        date NOT NULL,
    sex               text NOT NULL,
    left_on           date,
    joined_on         date,
    id_masked         text,
    recorded_at       timestamptz,
    PRIMARY KEY (county, household_number, person_number)
);
CREATE INDEX IF NOT EXISTS persons_by_id_hash ON persons (id_hash);

CREATE TABLE IF NOT EXISTS household_categories (
    county            text NOT NULL,
    household_number  text NOT NULL,
    version           integer NOT NULL,
    effective_date    date NOT NULL,
    category          text NOT NULL,
    PRIMARY KEY (county, household_number, version)
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

-- What the rules computed.
CREATE TABLE IF NOT EXISTS entitlements (
    slip_id        uuid NOT NULL,
    subsidy        text NOT NULL,
    county         text NOT NULL,
    organisation   text NOT NULL,
    workshop_id    uuid NOT NULL,
    month          text NOT NULL,
    payee          text NOT NULL,
    id_hash        text NOT NULL,
    slip_version   integer NOT NULL,
    amount_fen     bigint NOT NULL,
    eligible       boolean NOT NULL,
    explanation    jsonb NOT NULL,
    PRIMARY KEY (slip_id, subsidy)
);

CREATE TABLE IF NOT EXISTS workshop_months (
    workshop_id         uuid NOT NULL,
    month               text NOT NULL,
    staff               integer NOT NULL,
    qualifying_workers  integer NOT NULL,
    meets_criteria      boolean NOT NULL,
    explanation         jsonb NOT NULL,
    PRIMARY KEY (workshop_id, month)
);

CREATE TABLE IF NOT EXISTS payrolls (
    payroll_id    uuid PRIMARY KEY,
    workshop_id   uuid NOT NULL,
    organisation  text NOT NULL,
    county        text NOT NULL,
    month         text NOT NULL
);

CREATE TABLE IF NOT EXISTS household_keys (
    household_id      uuid PRIMARY KEY,
    county            text NOT NULL,
    household_number  text NOT NULL
);

-- Claims (申报) and what was paid or is owed back.
CREATE TABLE IF NOT EXISTS claims (
    claim_id      uuid PRIMARY KEY,
    organisation  text NOT NULL,
    county        text NOT NULL,
    period_from   text NOT NULL,
    period_to     text NOT NULL,
    status        text NOT NULL,
    filed_at      timestamptz NOT NULL,
    notice_ends   date,
    approved_on   date,
    paid_on       date
);
CREATE INDEX IF NOT EXISTS claims_by_org ON claims (organisation);
CREATE INDEX IF NOT EXISTS claims_by_county ON claims (county, status);

CREATE TABLE IF NOT EXISTS claim_lines (
    claim_id               uuid NOT NULL,
    line_no                integer NOT NULL,
    slip_id                uuid NOT NULL,
    subsidy                text NOT NULL,
    payee                  text NOT NULL,
    workshop_id            uuid NOT NULL,
    month                  text NOT NULL,
    slip_version           integer NOT NULL,
    entitled_fen           bigint NOT NULL,
    previously_claimed_fen bigint NOT NULL,
    amount_fen             bigint NOT NULL,
    kind                   text NOT NULL,
    adjusts_claim          uuid,
    rejected_reason        text,
    explanation            jsonb NOT NULL,
    PRIMARY KEY (claim_id, line_no)
);
CREATE INDEX IF NOT EXISTS claim_lines_by_slip ON claim_lines (slip_id, subsidy);

CREATE TABLE IF NOT EXISTS claim_payments (
    claim_id    uuid NOT NULL,
    payee       text NOT NULL,
    amount_fen  bigint NOT NULL,
    reference   text NOT NULL,
    paid_on     date NOT NULL,
    PRIMARY KEY (claim_id, payee)
);

CREATE TABLE IF NOT EXISTS recoveries (
    organisation  text NOT NULL,
    payee         text NOT NULL,
    opened_fen    bigint NOT NULL DEFAULT 0,
    settled_fen   bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (organisation, payee)
);

CREATE TABLE IF NOT EXISTS ledgers (
    ledger_id     uuid PRIMARY KEY,
    organisation  text NOT NULL
);

-- Integrity flags (DOMAIN §6.4, employment ones), each with its evidence.
CREATE TABLE IF NOT EXISTS flags (
    flag_id     text PRIMARY KEY,
    county      text NOT NULL,
    kind        text NOT NULL,
    subject     text NOT NULL,
    evidence    jsonb NOT NULL,
    raised_at   timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS flags_by_county ON flags (county, kind);

CREATE TABLE IF NOT EXISTS workshop_costs (
    workshop_id  uuid NOT NULL,
    month        text NOT NULL,
    kind         text NOT NULL,
    amount_fen   bigint NOT NULL,
    evidence     text NOT NULL,
    PRIMARY KEY (workshop_id, month, kind)
);

CREATE TABLE IF NOT EXISTS trainings (
    training_id   uuid PRIMARY KEY,
    workshop_id   uuid NOT NULL,
    organisation  text NOT NULL,
    county        text NOT NULL,
    held_on       date NOT NULL,
    course        text NOT NULL,
    hours         integer NOT NULL
);
CREATE INDEX IF NOT EXISTS trainings_by_county ON trainings (county);

CREATE TABLE IF NOT EXISTS trainees (
    training_id  uuid NOT NULL,
    id_hash      text NOT NULL,
    id_masked    text NOT NULL,
    name         text NOT NULL,
    PRIMARY KEY (training_id, id_hash)
);
CREATE INDEX IF NOT EXISTS trainees_by_id_hash ON trainees (id_hash);

CREATE INDEX IF NOT EXISTS slips_by_bank_ref ON slips (bank_ref);

-- Claims (issue 6): the filing date (Asia/Shanghai) and who filed, the notice's real publication date,
-- objections lodged during the notice, and rejected lines an official reinstated.
ALTER TABLE claims ADD COLUMN IF NOT EXISTS filed_on date;
ALTER TABLE claims ADD COLUMN IF NOT EXISTS initiated_by text NOT NULL DEFAULT 'employer';
ALTER TABLE claims ADD COLUMN IF NOT EXISTS notice_published_on date;
ALTER TABLE claim_lines ADD COLUMN IF NOT EXISTS reinstated_reason text;

CREATE TABLE IF NOT EXISTS claim_objections (
    claim_id     uuid NOT NULL,
    number       integer NOT NULL,
    text         text NOT NULL,
    lodged_on    date NOT NULL,
    lodged_by    text NOT NULL,
    resolution   text,
    resolved_on  date,
    resolved_by  text,
    PRIMARY KEY (claim_id, number)
);

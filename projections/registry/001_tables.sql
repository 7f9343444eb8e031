-- Registry read model (projection "registry"). Unqualified names: the projector sets search_path
-- to the projection's schema (rm_registry, or rm_registry__next during a rebuild).

CREATE TABLE IF NOT EXISTS counties (
    code            text PRIMARY KEY,
    name            text NOT NULL,
    province        text NOT NULL,
    registered_at   timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS households (
    county            text NOT NULL,
    household_number  text NOT NULL,
    household_id      uuid NOT NULL UNIQUE,
    township_code     text NOT NULL,
    village_code      text NOT NULL,
    category          text NOT NULL,
    subtype           text,
    category_since    date NOT NULL,
    causes            text[] NOT NULL,
    member_count      integer NOT NULL,
    registered_on     date NOT NULL,
    source            text NOT NULL,
    id_reveals        integer NOT NULL DEFAULT 0,
    version           integer NOT NULL,
    registered_at     timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    PRIMARY KEY (county, household_number)
);
CREATE INDEX IF NOT EXISTS households_by_village ON households (county, village_code, household_number);

CREATE TABLE IF NOT EXISTS members (
    county            text NOT NULL,
    household_number  text NOT NULL,
    person_number     text NOT NULL,
    name              text NOT NULL,
    id_masked         text NOT NULL,
    id_hash           text NOT NULL,
    sex               text NOT NULL,
    birth_date        date NOT NULL,
    relation          text NOT NULL,
    labour_capacity   text NOT NULL,
    disability        text,
    joined_on         date NOT NULL,
    left_on           date,
    left_reason       text,
    PRIMARY KEY (county, household_number, person_number)
);
CREATE INDEX IF NOT EXISTS members_by_id_hash ON members (id_hash);

CREATE TABLE IF NOT EXISTS category_history (
    county            text NOT NULL,
    household_number  text NOT NULL,
    version           integer NOT NULL,
    effective_date    date NOT NULL,
    category          text NOT NULL,
    subtype           text,
    reason            text NOT NULL,
    note              text NOT NULL DEFAULT '',
    recorded_at       timestamptz NOT NULL,
    actor             text NOT NULL,
    PRIMARY KEY (county, household_number, version)
);

CREATE TABLE IF NOT EXISTS other_income (
    county            text NOT NULL,
    household_number  text NOT NULL,
    year              integer NOT NULL,
    income_type       text NOT NULL,
    amount_fen        bigint NOT NULL,
    note              text NOT NULL DEFAULT '',
    version           integer NOT NULL,
    recorded_at       timestamptz NOT NULL,
    PRIMARY KEY (county, household_number, year, income_type)
);

CREATE TABLE IF NOT EXISTS village_category_counts (
    county            text NOT NULL,
    village_code      text NOT NULL,
    category          text NOT NULL,
    households        integer NOT NULL,
    PRIMARY KEY (county, village_code, category)
);

CREATE TABLE IF NOT EXISTS household_imports (
    county            text NOT NULL,
    file_sha256       text NOT NULL,
    filename          text NOT NULL,
    rows              integer NOT NULL,
    registered        integer NOT NULL,
    unchanged         integer NOT NULL,
    actor             text NOT NULL,
    recorded_at       timestamptz NOT NULL,
    PRIMARY KEY (county, file_sha256)
);

-- Names of a county's townships (乡镇, 9-digit codes) and villages (行政村, 12-digit codes): from the household
-- import's name columns or the county's area list (PUT /counties/{county}/areas).
CREATE TABLE IF NOT EXISTS areas (
    county     text NOT NULL,
    code       text NOT NULL,
    level      text NOT NULL,           -- township | village
    name       text NOT NULL,
    named_at   timestamptz NOT NULL,
    PRIMARY KEY (county, code)
);

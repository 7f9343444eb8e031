-- Policy read model (projection "policy"): every parameter version recorded, by scope.

CREATE TABLE IF NOT EXISTS parameter_versions (
    scope           text NOT NULL,
    seq             integer NOT NULL,
    name            text NOT NULL,
    value           text NOT NULL,
    effective_from  date NOT NULL,
    effective_to    date,
    source          text NOT NULL,
    era             text NOT NULL,
    actor           text NOT NULL,
    recorded_at     timestamptz NOT NULL,
    PRIMARY KEY (scope, seq)
);
CREATE INDEX IF NOT EXISTS parameter_versions_by_name ON parameter_versions (name, scope);

CREATE TABLE IF NOT EXISTS preset_adoptions (
    scope           text NOT NULL,
    seq             integer NOT NULL,
    preset          text NOT NULL,
    effective_from  date NOT NULL,
    recorded_at     timestamptz NOT NULL,
    PRIMARY KEY (scope, seq)
);

CREATE TABLE IF NOT EXISTS books (
    book_id         uuid PRIMARY KEY,
    scope           text NOT NULL UNIQUE
);

-- Access read model (projection "access"): what the HTTP layer checks a bearer token against.

CREATE TABLE IF NOT EXISTS tokens (
    token_id         uuid PRIMARY KEY,
    token_hash       text NOT NULL UNIQUE,
    role             text NOT NULL,
    counties         text[] NOT NULL,
    organisation_id  text,
    label            text NOT NULL,
    issued_by        text NOT NULL,
    issued_at        timestamptz NOT NULL,
    revoked_at       timestamptz,
    revoked_reason   text
);

"""Which counties a projection's batch changed (变更县), recorded by the database itself.

A derived projection (the county dashboard) recomputes a county's rows from other projections' tables. Guessing
from the events of a batch which counties those tables changed in kept missing paths (a worker's household
category changed in one county moves entitlements in the county where the worker is employed). So the upstream
tables carry statement-level triggers that write, for every statement, the distinct counties its inserted,
updated or deleted rows concern into ``changed_counties``, stamped with the position of the batch's last event
(the session setting ``xiaofei.batch_position``, set by the projector; 0 outside a batch, -1 while a halted
county is retried). A derived batch covering log positions (from, to] reads the stamps in that range: each
upstream batch at or below its ceiling has committed, so no change is missed and none depends on the batching.

``WATCHED`` names the tables; the triggers are created with the upstream projection's own tables
(``SqlView.create_table``), so a rebuild into a fresh schema has them too.
"""

from __future__ import annotations

BATCH_SETTING = "xiaofei.batch_position"
RETRY_STAMP = -1
"""Stamp of the changes a retry of a halted county makes (no batch): the retry hook reads and removes them."""

CLAIM = "SELECT c.county FROM $rows r JOIN claims c USING (claim_id)"
WORKSHOP = "SELECT w.county FROM $rows r JOIN workshops w USING (workshop_id)"
WATCHED: dict[str, dict[str, str]] = {
    # upstream projection → table the dashboard reads → the counties whose dashboard rows a changed row can move
    "registry": {"households": "SELECT county FROM $rows", "counties": "SELECT code FROM $rows"},
    "employment": {
        "slips": "SELECT county FROM $rows", "entitlements": "SELECT county FROM $rows",
        "claims": "SELECT county FROM $rows", "claim_lines": CLAIM, "claim_payments": CLAIM,
        "workshops": "SELECT county FROM $rows", "workshop_months": WORKSHOP, "workshop_certifications": WORKSHOP,
        "organisations": "SELECT county FROM $rows",
        "recoveries": "SELECT o.county FROM $rows r JOIN organisations o ON o.credit_code = r.organisation",
    },
    "consumption": {
        # a sale counts where its product comes from and, for the reserved share, where its budget unit (or the
        # unit whose canteen it shares) is registered
        "sales": "SELECT county FROM $rows UNION SELECT b.county FROM $rows r JOIN buyers b ON b.buyer_key ="
                 " r.budget_unit UNION SELECT b.county FROM $rows r JOIN share_filings f ON f.buyer_key ="
                 " r.budget_unit JOIN buyers b ON b.buyer_key = f.shared_with",
        "pool_shares": "SELECT household_county FROM $rows",
        "linkage_payments": "SELECT payee_county FROM $rows",
        "products": "SELECT county FROM $rows", "certifications": "SELECT county FROM $rows",
        "cert_periods": "SELECT c.county FROM $rows r JOIN certifications c USING (certification_id)",
        "buyers": "SELECT county FROM $rows",
        "share_filings": "SELECT b.county FROM $rows r JOIN buyers b ON b.buyer_key IN (r.buyer_key, r.shared_with)",
    },
    "income": {"household_years": "SELECT county FROM $rows", "flags": "SELECT county FROM $rows"},
}
"""The tables the county dashboard reads: projection → table → a query over ``$rows`` (the statement's changed
rows) giving the counties whose dashboard rows they can move. A new read of the dashboard's needs its table here."""

TABLE_DDL = """
CREATE TABLE IF NOT EXISTS changed_counties (
    position  bigint NOT NULL,  -- the batch's last event (0: outside a batch, -1: a retry of a halted county)
    county    text NOT NULL,
    PRIMARY KEY (position, county)
);

CREATE OR REPLACE FUNCTION mark_changed_counties() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    stamp bigint := coalesce(nullif(current_setting('xiaofei.batch_position', true), ''), '0')::bigint;
    query text := 'INSERT INTO %I.changed_counties SELECT DISTINCT %s, c FROM (%s) x(c) WHERE c IS NOT NULL'
                  ' ON CONFLICT DO NOTHING';
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        EXECUTE format(query, TG_TABLE_SCHEMA, stamp, replace(TG_ARGV[0], '$rows', 'new_rows'));
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        EXECUTE format(query, TG_TABLE_SCHEMA, stamp, replace(TG_ARGV[0], '$rows', 'old_rows'));
    END IF;
    RETURN NULL;
END $$;
"""

_REFERENCING = {"insert": "NEW TABLE AS new_rows", "update": "NEW TABLE AS new_rows OLD TABLE AS old_rows",
                "delete": "OLD TABLE AS old_rows"}


def trigger_ddl(projection: str) -> list[str]:
    """The statements that create ``changed_counties`` and the triggers on the watched tables (search_path: the
    projection's schema); none when nothing watches the projection."""
    tables = WATCHED.get(projection)
    if not tables:
        return []
    statements = [TABLE_DDL]
    for table, query in sorted(tables.items()):
        argument = query.replace("'", "''")
        for op, referencing in _REFERENCING.items():
            name = f"{table}_changed_{op}"
            statements.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            statements.append(f"CREATE TRIGGER {name} AFTER {op.upper()} ON {table} REFERENCING {referencing}"
                              f" FOR EACH STATEMENT EXECUTE FUNCTION mark_changed_counties('{argument}')")
    return statements

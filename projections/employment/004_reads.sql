-- What an upload did (issue 8: one upload receipt with its rows). The receipt's id is the upload_id its slip
-- versions carry (uploads recorded before this rule carried a random upload_id: their receipts list no rows).
CREATE TABLE IF NOT EXISTS upload_receipts (
    upload_id        uuid PRIMARY KEY,
    organisation     text NOT NULL,
    idempotency_key  text NOT NULL,
    content_sha256   text NOT NULL,
    rows             integer NOT NULL,
    reported         integer NOT NULL,
    corrected        integer NOT NULL,
    unchanged        integer NOT NULL,
    recorded_at      timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS upload_receipts_by_org ON upload_receipts (organisation, recorded_at);
CREATE INDEX IF NOT EXISTS slip_versions_by_upload ON slip_versions (upload_id);
-- The county's lists: organisations and workshops by county, slips of an organisation by month.
CREATE INDEX IF NOT EXISTS organisations_by_county ON organisations (county, credit_code);
CREATE INDEX IF NOT EXISTS workshops_by_county ON workshops (county, workshop_id);
CREATE INDEX IF NOT EXISTS slips_by_org_month ON slips (organisation, month, workshop_id, slip_id);
-- The county's review (审核) of a claim is explicit: started, lines rejected, finished, then the notice.
ALTER TABLE claims ADD COLUMN IF NOT EXISTS review_started_on date;
ALTER TABLE claims ADD COLUMN IF NOT EXISTS reviewed_on date;
-- Indexes the paged reads walk: entitlements in page order (by organisation or county, then by workshop), the
-- worker of a line, a workshop's months.
CREATE INDEX IF NOT EXISTS entitlements_org_page ON entitlements (organisation, month, workshop_id, slip_id, subsidy);
CREATE INDEX IF NOT EXISTS entitlements_county_page ON entitlements (county, month, workshop_id, slip_id, subsidy);
CREATE INDEX IF NOT EXISTS entitlements_by_workshop_month ON entitlements (workshop_id, month);
CREATE INDEX IF NOT EXISTS employments_by_workshop_person ON employments (workshop_id, id_hash);
CREATE INDEX IF NOT EXISTS claim_lines_by_subject ON claim_lines (slip_id, subsidy, claim_id);

-- Each household's category history, as the consumption projection keeps it (issue 22 point 16): a plan household's
-- share of a revenue-share pool follows its category in the month of the sales. Append-only, stamped with the
-- position of its event for as-of reads. A database projected before has none until `xiaofei rebuild income`: a
-- registered household with no category known keeps its plan weight (as before).
CREATE TABLE IF NOT EXISTS household_categories (
    county            text NOT NULL,
    household_number  text NOT NULL,
    seq               integer NOT NULL,
    category          text NOT NULL,
    effective_from    date NOT NULL,
    recorded_at       bigint NOT NULL,
    PRIMARY KEY (county, household_number, seq)
);

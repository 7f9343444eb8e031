"""What-if for households (issue 10, point 3): what the candidate parameters would do to each household's yearly
net income per capita, and which households would cross the monitoring threshold.

The rule. The income projection counts the worker wage subsidy when it is **paid** to the worker; a what-if changes
**entitlements**. So a household's income moves by the entitlement change of every line whose payee is the worker
(payee ``worker``, paid by a claim to ``worker:<id hash>``: the worker wage subsidy) and the worker one of its members, counted as if paid as recomputed — in
the year of the entitlement's month, for the household the worker belonged to on that month's last day (the
attribution of the slip behind it). Lines paid to an employer (employer match, hiring award, training, rent and
utilities) change no household's income. Current figures are the household's year in ``rm_income`` (read in the
what-if's snapshot); the candidate net is the current net + the change, per capita ÷ the same members, half-up.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

import psycopg
from psycopg.rows import DictRow

from xiaofei.domain.employment import month_bounds
from xiaofei.rules.income import per_capita

WORKER = "worker"
"""The payee of an entitlement line paid to the worker (its ``id_hash`` names them; a claim pays it to
``worker:<id hash>``)."""
Crossing = Literal["up", "down"]


@dataclass(frozen=True)
class WorkerLine:
    id_hash: str
    month: str
    change_fen: int


@dataclass(frozen=True)
class HouseholdDifference:
    county: str
    household_number: str
    year: int
    members: int
    current_net_fen: int
    net_change_fen: int
    current_per_capita_net_fen: int | None
    candidate_per_capita_net_fen: int | None
    per_capita_change_fen: int | None
    threshold_fen: int | None
    crosses_threshold: Crossing | None


def crossing(current: int | None, candidate: int | None, threshold: int | None) -> Crossing | None:
    """"up" from below the threshold to at or above it, "down" the reverse, None otherwise (or without a figure)."""
    if current is None or candidate is None or threshold is None:
        return None
    if current < threshold <= candidate:
        return "up"
    if candidate < threshold <= current:
        return "down"
    return None


def households(cur: psycopg.Cursor[DictRow], county: str, lines: list[WorkerLine]
               ) -> tuple[list[HouseholdDifference], int]:
    """The households of ``county`` whose yearly income the changed worker lines move, and how many households of
    other counties they move (not named: the caller reads one county)."""
    changes: dict[tuple[str, str], int] = defaultdict(int)
    for line in lines:
        if line.change_fen:
            changes[(line.id_hash, line.month)] += line.change_fen
    if not changes:
        return [], 0
    keys = sorted(changes)
    cur.execute("SELECT DISTINCT ON (k.h, k.m) k.h, k.m, m.county, m.household_number"
                " FROM unnest(%s::text[], %s::text[], %s::date[]) AS k(h, m, d)"
                " JOIN rm_income.members m ON m.id_hash = k.h AND (m.joined_on IS NULL OR m.joined_on <= k.d)"
                " AND (m.left_on IS NULL OR m.left_on > k.d) ORDER BY k.h, k.m, m.county, m.household_number",
                ([h for h, _ in keys], [m for _, m in keys], [month_bounds(m)[1] for _, m in keys]))
    by_household: dict[tuple[str, str, int], int] = defaultdict(int)
    for r in cur.fetchall():
        by_household[(r["county"], r["household_number"], int(r["m"][:4]))] += changes[(r["h"], r["m"])]
    reached = {k: v for k, v in by_household.items() if v}
    ours = sorted(k for k in reached if k[0] == county)
    out = []
    for c, number, year in ours:
        cur.execute("SELECT net_fen, members, per_capita_net_fen, threshold_fen FROM rm_income.household_years"
                    " WHERE county = %s AND household_number = %s AND year = %s", (c, number, year))
        row = cur.fetchone()
        if row is None:  # no income of the year known yet: its members as the income projection counts them
            cur.execute("SELECT count(*) AS n FROM rm_income.members WHERE county = %s AND household_number = %s"
                        " AND (joined_on IS NULL OR joined_on <= %s) AND (left_on IS NULL OR left_on > %s)",
                        (c, number, f"{year}-12-31", f"{year}-01-01"))
            row = {"net_fen": 0, "members": cur.fetchone()["n"], "per_capita_net_fen": None,  # type: ignore[index]
                   "threshold_fen": None}
            row["per_capita_net_fen"] = per_capita(0, row["members"])
        change = reached[(c, number, year)]
        now, then = row["per_capita_net_fen"], per_capita(row["net_fen"] + change, row["members"])
        out.append(HouseholdDifference(
            c, number, year, row["members"], row["net_fen"], change, now, then,
            None if now is None or then is None else then - now, row["threshold_fen"],
            crossing(now, then, row["threshold_fen"])))
    return out, len({(c, n) for c, n, _ in reached if c != county})

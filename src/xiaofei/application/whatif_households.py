"""What-if for households (issue 10, point 3; issue 22, point 21): each household's yearly income recomputed under
the candidate parameters, and which households would cross the monitoring threshold.

The rule. Every candidate the what-if accepts is applied to household income the way the income projection
applies the parameters in force: the income projection's own ``derive`` recomputes the county's households with
the candidates added as the newest county-scope versions of the income projection's parameters (in the what-if's
snapshot, against temporary copies, rolled back), so ``income.cost_ratio.*`` changes the operating costs deducted,
``monitoring.threshold_fen`` and ``monitoring.poverty_line_fen`` the lines compared with, ``monitoring.sudden_drop_pct``
the drop flagged, and the revenue-share parameters the shares accrued. On top of that, the worker wage subsidy:
the income projection counts it when **paid** to the worker, while a what-if changes **entitlements**, so a
household's income moves by the entitlement change of every line whose payee is the worker (payee ``worker``,
paid by a claim to ``worker:<id hash>``) and the worker one of its members, counted as if paid as recomputed — in
the year of the entitlement's month, for the household the worker belonged to on that month's last day (the
attribution of the slip behind it). Lines paid to an employer (employer match, hiring award, training, rent and
utilities) change no household's income. Current figures are the household's year in ``rm_income`` (read in the
what-if's snapshot); the candidate net is the recomputed net + the subsidy change, per capita ÷ the same members,
half-up, and the below-line flags are judged on it (``sudden_drop`` as recomputed: the subsidy change has no
month of payment). The years compared are those of the what-if's period.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Literal

import psycopg
from psycopg.rows import DictRow

from xiaofei.domain.employment import month_bounds
from xiaofei.projectors.income.derive import derive
from xiaofei.projectors.income.facts import Dirty
from xiaofei.rules import income as rules
from xiaofei.rules.income import per_capita

WORKER = "worker"
"""The payee of an entitlement line paid to the worker (its ``id_hash`` names them; a claim pays it to
``worker:<id hash>``)."""
Crossing = Literal["up", "down"]
DERIVED = ("income_lines", "household_months", "household_years", "flags")


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
    candidate_threshold_fen: int | None
    current_flags: list[str]
    candidate_flags: list[str]
    crosses_threshold: Crossing | None


def crossing(current: int | None, candidate: int | None, threshold: int | None,
             candidate_threshold: int | None) -> Crossing | None:
    """"up" from below the current threshold to at or above the candidate one, "down" the reverse, None otherwise
    (or without a figure or a threshold)."""
    if current is None or candidate is None or threshold is None or candidate_threshold is None:
        return None
    if current < threshold and candidate >= candidate_threshold:
        return "up"
    if current >= threshold and candidate < candidate_threshold:
        return "down"
    return None


Override = tuple[str, str, date, date | None]
"""A candidate parameter version: name, value, effective from, effective to."""
YEAR_COLUMNS = "household_number, year, net_fen, members, per_capita_net_fen, poverty_line_fen, threshold_fen, flags"


def _subsidy_changes(cur: psycopg.Cursor[DictRow], lines: list[WorkerLine]) -> dict[tuple[str, str, int], int]:
    """The worker wage subsidy change of each household-year (any county) the changed worker lines reach."""
    changes: dict[tuple[str, str], int] = defaultdict(int)
    for line in lines:
        if line.change_fen:
            changes[(line.id_hash, line.month)] += line.change_fen
    if not changes:
        return {}
    keys = sorted(changes)
    cur.execute("SELECT DISTINCT ON (k.h, k.m) k.h, k.m, m.county, m.household_number"
                " FROM unnest(%s::text[], %s::text[], %s::date[]) AS k(h, m, d)"
                " JOIN rm_income.members m ON m.id_hash = k.h AND (m.joined_on IS NULL OR m.joined_on <= k.d)"
                " AND (m.left_on IS NULL OR m.left_on > k.d) ORDER BY k.h, k.m, m.county, m.household_number",
                ([h for h, _ in keys], [m for _, m in keys], [month_bounds(m)[1] for _, m in keys]))
    by_household: dict[tuple[str, str, int], int] = defaultdict(int)
    for r in cur.fetchall():
        by_household[(r["county"], r["household_number"], int(r["m"][:4]))] += changes[(r["h"], r["m"])]
    return {k: v for k, v in by_household.items() if v}


def _recompute(cur: psycopg.Cursor[DictRow], county: str, overrides: list[Override]) -> None:
    """The county's households derived again by the income projection's own code, into temporary tables, with
    the candidates as the newest county versions of its parameters (the caller rolls back)."""
    cur.execute("DROP TABLE IF EXISTS pg_temp.parameters")  # the employment recomputation's copy, done with
    cur.execute("CREATE TEMP TABLE parameters (LIKE rm_income.parameters INCLUDING ALL) ON COMMIT DROP")
    cur.execute("INSERT INTO pg_temp.parameters SELECT * FROM rm_income.parameters")
    cur.execute("SELECT coalesce(max(seq), 0) AS top FROM pg_temp.parameters WHERE scope = %s", (county,))
    top = cur.fetchone()["top"]  # type: ignore[index]
    cur.executemany("INSERT INTO pg_temp.parameters (scope, seq, name, value, effective_from, effective_to, source,"
                    " era) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                    [(county, top + i + 1, name, value, start, end, "what-if candidate", "transition")
                     for i, (name, value, start, end) in enumerate(overrides)])
    for table in DERIVED:
        cur.execute(f"CREATE TEMP TABLE {table} (LIKE rm_income.{table} INCLUDING ALL) ON COMMIT DROP")
    # from here on the derivation writes only the temporary copies and reads the candidate parameters
    cur.execute("SET LOCAL search_path TO pg_temp, rm_income, public")
    cur.execute("SELECT county, household_number FROM households WHERE county = %s", (county,))
    derive(cur, Dirty(households={(r["county"], r["household_number"]) for r in cur.fetchall()}))


def _years(cur: psycopg.Cursor[DictRow], schema: str, county: str, years: list[int]) -> dict[tuple[str, int], dict]:
    cur.execute(f"SELECT {YEAR_COLUMNS} FROM {schema}.household_years"  # noqa: S608 - fixed names
                " WHERE county = %s AND year = ANY(%s)", (county, years))
    return {(r["household_number"], r["year"]): dict(r) for r in cur.fetchall()}


def _without_income(cur: psycopg.Cursor[DictRow], county: str, number: str, year: int) -> dict:
    """A household-year with no income row: nothing known, its members registered on 31 December."""
    cur.execute("SELECT count(*) AS n FROM rm_income.members WHERE county = %s AND household_number = %s"
                " AND (joined_on IS NULL OR joined_on <= %s) AND (left_on IS NULL OR left_on > %s)",
                (county, number, date(year, 12, 31), date(year, 12, 31)))
    members = cur.fetchone()["n"]  # type: ignore[index]
    return {"net_fen": 0, "members": members, "per_capita_net_fen": per_capita(0, members), "poverty_line_fen": None,
            "threshold_fen": None, "flags": []}


def households(cur: psycopg.Cursor[DictRow], county: str, years: list[int], overrides: list[Override],
               lines: list[WorkerLine]) -> tuple[list[HouseholdDifference], int]:
    """The household-years of ``county`` in ``years`` whose income, per capita, lines or flags the candidates
    change, and how many households of other counties the changed worker lines move (not named: the caller reads
    one county)."""
    reached = _subsidy_changes(cur, lines)
    current = _years(cur, "rm_income", county, years)
    _recompute(cur, county, overrides)
    candidate = _years(cur, "pg_temp", county, years)
    keys = set(current) | set(candidate) | {(n, y) for c, n, y in reached if c == county and y in years}
    out = []
    for number, year in sorted(keys):
        now = current.get((number, year)) or _without_income(cur, county, number, year)
        then = candidate.get((number, year)) or now
        net = then["net_fen"] + reached.get((county, number, year), 0)
        head = per_capita(net, now["members"])
        flags = rules.flags(head, then["poverty_line_fen"], then["threshold_fen"], "sudden_drop" in then["flags"])
        if (net, head, then["threshold_fen"], flags) == (now["net_fen"], now["per_capita_net_fen"],
                                                         now["threshold_fen"], list(now["flags"])):
            continue
        was = now["per_capita_net_fen"]
        out.append(HouseholdDifference(
            county, number, year, now["members"], now["net_fen"], net - now["net_fen"], was, head,
            None if was is None or head is None else head - was, now["threshold_fen"], then["threshold_fen"],
            list(now["flags"]), flags, crossing(was, head, now["threshold_fen"], then["threshold_fen"])))
    return out, len({(c, n) for c, n, _ in reached if c != county})

"""Recompute the income of the households a batch reached, from the facts alone: lines (one per event behind a
figure), months, years and flags. Nothing here depends on where a batch began or ended."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import psycopg
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

from xiaofei.domain.clock import business_day
from xiaofei.domain.consumption.categories import category_of
from xiaofei.domain.employment import month_bounds
from xiaofei.projectors.base import copy_rows
from xiaofei.projectors.employment.lookups import ParamsByCounty, scope_prefix
from xiaofei.projectors.income import revenue_share
from xiaofei.projectors.income.facts import Dirty, log_today
from xiaofei.rules import income as rules

Line = tuple[str, int, str | None, str, str, int, int, dict[str, Any]]
"""(line_key, year, month, category, kind, amount_fen, cost_fen, source)."""

LINKAGE_KINDS = {"procurement": ("operating", "procurement"), "land_rent": ("property", "land_rent"),
                 "dividend": ("property", "dividend")}
"""Linkage payments that are income when paid. A revenue-share payout (兑付) is not: the household's share was its
income when accrued, in the month of the sales (``revenue_share``)."""


DIRTY_TABLE = ("CREATE TEMP TABLE IF NOT EXISTS income_dirty (county text NOT NULL, household_number text NOT NULL,"
               " PRIMARY KEY (county, household_number)) ON COMMIT DELETE ROWS")
"""The households a batch recomputes, one session-local table joined by every read and delete below (sending the
keys as arrays to each statement cost more than the statements)."""
DIRTY = " JOIN pg_temp.income_dirty d ON d.county = t.county AND d.household_number = t.household_number"
DIRTY_HASHES = (" IN (SELECT t.id_hash FROM members t JOIN pg_temp.income_dirty d ON d.county = t.county"
                " AND d.household_number = t.household_number)")


def expand(cur: psycopg.Cursor[DictRow], dirty: Dirty) -> list[tuple[str, str]]:
    """The registered households the batch reached, in key order (left in ``income_dirty``)."""
    keys = set(dirty.households)
    if dirty.hashes:
        cur.execute("SELECT DISTINCT county, household_number FROM members WHERE id_hash = ANY(%s)",
                    (sorted(dirty.hashes),))
        keys.update((r["county"], r["household_number"]) for r in cur.fetchall())
    if dirty.everyone:
        cur.execute("SELECT county, household_number FROM households")
        keys.update((r["county"], r["household_number"]) for r in cur.fetchall())
    for scope in dirty.scopes:
        cur.execute("SELECT county, household_number FROM households WHERE county LIKE %s", (scope_prefix(scope),))
        keys.update((r["county"], r["household_number"]) for r in cur.fetchall())
    if not keys:
        return []
    cur.execute(DIRTY_TABLE)
    cur.execute("DELETE FROM pg_temp.income_dirty")
    copy_rows(cur, "income_dirty", sorted(keys))
    cur.execute("DELETE FROM pg_temp.income_dirty d WHERE NOT EXISTS (SELECT 1 FROM households h"
                " WHERE h.county = d.county AND h.household_number = d.household_number)")
    cur.execute("SELECT county, household_number FROM pg_temp.income_dirty ORDER BY county, household_number")
    return [(r["county"], r["household_number"]) for r in cur.fetchall()]


def derive(cur: psycopg.Cursor[DictRow], dirty: Dirty) -> None:
    households = expand(cur, dirty)
    if not households:
        return
    for table in ("income_lines", "household_months", "household_years", "flags"):
        cur.execute(f"DELETE FROM {table} t USING pg_temp.income_dirty d"  # noqa: S608 - fixed names
                    " WHERE d.county = t.county AND d.household_number = t.household_number")
    facts = _Facts(cur)
    params = ParamsByCounty(cur)
    shares = revenue_share.accrued(cur, params)
    today = log_today(cur)
    lines, months, years, flags = [], [], [], []
    for county, number in households:
        found = _lines(facts, params, county, number) + list(revenue_share.lines_of(shares.get((county, number), [])))
        lines += [(county, number, k, y, m, c, kind, a, cost, Jsonb(src)) for k, y, m, c, kind, a, cost, src in found]
        m_rows, y_rows, f_rows = _totals(params, facts, county, number, found, today)
        months += m_rows
        years += y_rows
        flags += f_rows
    copy_rows(cur, "income_lines", lines)
    copy_rows(cur, "household_months", months)
    copy_rows(cur, "household_years", years)
    copy_rows(cur, "flags", flags)


class _Facts:
    """Everything the households being recomputed (``income_dirty``) can need, read with one query per table."""

    def __init__(self, cur: psycopg.Cursor[DictRow]) -> None:
        cur.execute("SELECT t.county, t.household_number, t.village_code, l.recorded_at AS registered_at"
                    " FROM households t LEFT JOIN log_positions l ON l.position = t.recorded_at" + DIRTY)
        self.villages: dict[tuple[str, str], str] = {}
        self.registered: dict[tuple[str, str], int] = {}
        """The year (Asia/Shanghai) each household was registered (unknown for facts written before positions)."""
        for r in cur.fetchall():
            self.villages[(r["county"], r["household_number"])] = r["village_code"]
            if r["registered_at"] is not None:
                self.registered[(r["county"], r["household_number"])] = business_day(r["registered_at"]).year
        cur.execute("SELECT t.* FROM members t" + DIRTY + " ORDER BY t.person_number")
        self.members: dict[tuple[str, str], list[DictRow]] = defaultdict(list)
        for r in cur.fetchall():
            self.members[(r["county"], r["household_number"])].append(r)
        cur.execute("SELECT * FROM members WHERE id_hash" + DIRTY_HASHES
                    + " ORDER BY county, household_number, person_number")
        self.memberships: dict[str, list[DictRow]] = defaultdict(list)
        for r in cur.fetchall():
            self.memberships[r["id_hash"]].append(r)
        cur.execute("SELECT s.*, p.month, p.organisation, p.workshop_id, p.county AS workshop_county FROM slips s"
                    " JOIN payrolls p USING (payroll_id) WHERE s.id_hash" + DIRTY_HASHES + " AND NOT s.voided"
                    " AND s.verified_version = s.version ORDER BY s.slip_id")
        self.slips: dict[str, list[DictRow]] = defaultdict(list)
        for r in cur.fetchall():
            self.slips[r["id_hash"]].append(r)
        cur.execute("SELECT p.*, c.organisation FROM subsidy_payments p JOIN claims c USING (claim_id)"
                    " WHERE p.payee_hash" + DIRTY_HASHES + " ORDER BY p.claim_id")
        self.subsidies: dict[str, list[DictRow]] = defaultdict(list)
        for r in cur.fetchall():
            self.subsidies[r["payee_hash"]].append(r)
        cur.execute("SELECT claim_id, payee, line_no, slip_id, month, subsidy, amount_fen, explanation FROM claim_lines"
                    " WHERE claim_id IN (SELECT claim_id FROM subsidy_payments WHERE payee_hash" + DIRTY_HASHES + ")"
                    " AND NOT rejected ORDER BY claim_id, line_no")
        self.claim_lines: dict[tuple[Any, str], list[dict[str, Any]]] = defaultdict(list)
        for r in cur.fetchall():
            self.claim_lines[(r["claim_id"], r["payee"])].append(
                {"line_no": r["line_no"], "slip_id": str(r["slip_id"]), "month": r["month"], "subsidy": r["subsidy"],
                 "amount_fen": r["amount_fen"], "explanation": r["explanation"]})
        cur.execute("SELECT t.* FROM linkage_payments t JOIN pg_temp.income_dirty d ON d.county = t.county"
                    " AND d.household_number = t.payee ORDER BY t.seller, t.reference")
        self.payments: dict[tuple[str, str], list[DictRow]] = defaultdict(list)
        for r in cur.fetchall():
            self.payments[(r["county"], r["payee"])].append(r)
        cur.execute("SELECT t.* FROM declarations t" + DIRTY + " ORDER BY t.year, t.income_type")
        self.declarations: dict[tuple[str, str], list[DictRow]] = defaultdict(list)
        for r in cur.fetchall():
            self.declarations[(r["county"], r["household_number"])].append(r)

    def owner(self, id_hash: str, on: date) -> tuple[str, str] | None:
        """The household a person belonged to on ``on`` (the first by county and household number if several)."""
        for row in self.memberships[id_hash]:
            if (row["joined_on"] is None or row["joined_on"] <= on) and (row["left_on"] is None or row["left_on"] > on):
                return row["county"], row["household_number"]
        return None


def _lines(facts: _Facts, params: ParamsByCounty, county: str, number: str) -> list[Line]:
    out: list[Line] = []
    hashes = sorted({m["id_hash"] for m in facts.members.get((county, number), [])})
    person = {m["id_hash"]: m["person_number"] for m in facts.members.get((county, number), [])}
    for s in (s for h in hashes for s in facts.slips.get(h, [])):
        if facts.owner(s["id_hash"], month_bounds(s["month"])[1]) == (county, number):
            out.append((f"slip:{s['slip_id']}", int(s["month"][:4]), s["month"], "wage", "wage_slip", s["net_fen"], 0,
                        {"event": "Payroll.SlipVerified", "slip_id": str(s["slip_id"]), "slip_version": s["version"],
                         "person_number": person.get(s["id_hash"]), "organisation": s["organisation"], "workshop_id": str(s["workshop_id"]),
                         "workshop_county": s["workshop_county"], "month": s["month"], "gross_fen": s["gross_fen"],
                         "net_fen": s["net_fen"], "counted": "net_fen (实发工资)"}))
    for p in (p for h in hashes for p in facts.subsidies.get(h, [])):
        if facts.owner(p["payee_hash"], p["paid_on"]) != (county, number):
            continue
        claimed = facts.claim_lines.get((p["claim_id"], f"worker:{p['payee_hash']}"), [])
        # one line per worker: two workers of one household may be paid by the same claim
        out.append((f"subsidy:{p['claim_id']}:worker:{p['payee_hash']}", p["paid_on"].year,
                    p["paid_on"].strftime("%Y-%m"), "transfer", "worker_wage_subsidy", p["amount_fen"], 0,
                    {"event": "Claim.Paid", "claim_id": str(p["claim_id"]), "reference": p["reference"],
                     "paid_on": p["paid_on"].isoformat(), "person_number": person.get(p["payee_hash"]),
                     "organisation": p["organisation"], "lines": claimed}))
    for p in facts.payments.get((county, number), []):
        if p["kind"] not in LINKAGE_KINDS:
            continue
        category, kind = LINKAGE_KINDS[p["kind"]]
        cost, source = 0, {"event": "LinkageLedger.PaymentRecorded", "seller": p["seller"],
                           "reference": p["reference"], "paid_on": p["paid_on"].isoformat()}
        if kind == "procurement":
            ratio = params.on(county, p["paid_on"])[rules.cost_parameter(p["produce"])]
            cost = rules.operating_cost(p["amount_fen"], ratio.typed())
            source |= {"produce": category_of(p["produce"]), "quantity": p["quantity"], "cost_ratio": ratio.value,
                       "cost_parameter": ratio.name, "cost_source": ratio.source}
        out.append((f"payment:{p['seller']}:{p['reference']}", p["paid_on"].year, p["paid_on"].strftime("%Y-%m"),
                    category, kind, p["amount_fen"], cost, source))
    for d in facts.declarations.get((county, number), []):
        out.append((f"declared:{d['year']}:{d['income_type']}", d["year"], None,
                    rules.declared_category(d["income_type"]), f"declared_{d['income_type']}", d["amount_fen"], 0,
                    {"event": "Household.OtherIncomeDeclared", "household_version": d["version"],
                     "income_type": d["income_type"], "note": d["note"]}))
    return out


def _members_on(facts: _Facts, county: str, number: str, day: date) -> int:
    """The household's members as registered on ``day`` (joined by then, not left), each person counted in one
    household only: the one ``owner`` gives (the first by county and household number should the registry hold
    the person in two), so a county's households never count a person twice."""
    return sum(1 for m in facts.members.get((county, number), [])
               if (m["joined_on"] is None or m["joined_on"] <= day) and (m["left_on"] is None or m["left_on"] > day)
               and facts.owner(m["id_hash"], day) == (county, number))


def _years(facts: _Facts, county: str, number: str, lines: list[Line], today: date | None) -> list[int]:
    """The years a household has a row for: every year from its registration up to the current year (of
    ``today``), so a household whose income fell to nothing still has its year, with zero income; and every other
    year an income line of it is dated in (income recorded for before its registration)."""
    years = {line[1] for line in lines}
    first = facts.registered.get((county, number))
    if first is not None and today is not None:
        years.update(range(first, today.year + 1))
    return sorted(years)


def _totals(params: ParamsByCounty, facts: _Facts, county: str, number: str, lines: list[Line],
            today: date | None) -> tuple[list[Any], list[Any], list[Any]]:
    village = facts.villages[(county, number)]
    by_month: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_year: dict[int, dict[str, int]] = {y: defaultdict(int) for y in _years(facts, county, number, lines, today)}
    for _, year, month, category, _, amount, cost, _ in lines:
        for bucket in ([by_month[month]] if month else []) + [by_year[year]]:
            bucket[category] += amount
            bucket["cost"] += cost
    months = []
    for month, t in sorted(by_month.items()):
        months.append((county, number, month, t["wage"], t["operating"], t["cost"], t["property"], t["transfer"],
                       sum(t[c] for c in rules.CATEGORIES) - t["cost"],
                       _members_on(facts, county, number, month_bounds(month)[1])))
    net_of = {m[2]: m[8] for m in months}
    closed = rules.closed_through(today)
    years, flags = [], []
    for year, t in sorted(by_year.items()):
        gross = sum(t[c] for c in rules.CATEGORIES)
        net = gross - t["cost"]
        count = _members_on(facts, county, number, date(year, 12, 31))
        head = rules.per_capita(net, count)
        p = params.on(county, date(year, 12, 31))
        line, threshold = p["monitoring.poverty_line_fen"].typed(), p["monitoring.threshold_fen"].typed()
        window = rules.drop_window(year, closed)
        recent = sum(net_of.get(m, 0) for m in window)
        earlier = sum(net_of.get(rules.year_earlier(m), 0) for m in window)
        pct = p["monitoring.sudden_drop_pct"]
        raised = rules.flags(head, line, threshold, rules.sudden_drop(recent, earlier, pct.typed()))
        years.append((county, number, year, village, t["wage"], t["operating"], t["cost"], t["property"],
                      t["transfer"], gross, net, count, head, line, threshold, recent, earlier, raised))
        evidence = {"per_capita_net_fen": head, "members": count, "net_fen": net}
        for flag in raised:
            if flag == "below_poverty_line":
                detail = {"poverty_line_fen": line, "source": p["monitoring.poverty_line_fen"].source}
            elif flag == "below_monitoring_threshold":
                detail = {"threshold_fen": threshold, "source": p["monitoring.threshold_fen"].source}
            else:
                detail = {"months": window, "compared_with": [rules.year_earlier(m) for m in window],
                          "closed_through": closed, "judged_on": today.isoformat() if today else None,
                          "recent_fen": recent, "earlier_fen": earlier, "sudden_drop_pct": pct.value,
                          "source": pct.source}
            flags.append((county, number, year, flag, Jsonb(evidence | detail)))
    return months, years, flags

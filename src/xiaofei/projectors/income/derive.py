"""Recompute the income of the households a batch reached, from the facts alone: lines (one per event behind a
figure), months, years and flags. Nothing here depends on where a batch began or ended."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import psycopg
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

from xiaofei.domain.employment import month_bounds
from xiaofei.projectors.base import copy_rows
from xiaofei.projectors.employment.lookups import ParamsByCounty, scope_prefix
from xiaofei.projectors.income.facts import Dirty
from xiaofei.rules import income as rules

Line = tuple[str, int, str | None, str, str, int, int, dict[str, Any]]
"""(line_key, year, month, category, kind, amount_fen, cost_fen, source)."""

LINKAGE_KINDS = {"procurement": ("operating", "procurement"), "revenue_share_payout": ("property", "revenue_share"),
                 "land_rent": ("property", "land_rent"), "dividend": ("property", "dividend")}


def expand(cur: psycopg.Cursor[DictRow], dirty: Dirty) -> list[tuple[str, str]]:
    """The registered households the batch reached, in key order."""
    keys = set(dirty.households)
    if dirty.hashes:
        cur.execute("SELECT DISTINCT county, household_number FROM members WHERE id_hash = ANY(%s)",
                    (sorted(dirty.hashes),))
        keys.update((r["county"], r["household_number"]) for r in cur.fetchall())
    for scope in dirty.scopes:
        cur.execute("SELECT county, household_number FROM households WHERE county LIKE %s", (scope_prefix(scope),))
        keys.update((r["county"], r["household_number"]) for r in cur.fetchall())
    if not keys:
        return []
    cur.execute("SELECT county, household_number FROM households WHERE (county, household_number) IN"
                " (SELECT * FROM unnest(%s::text[], %s::text[]))",
                ([k[0] for k in keys], [k[1] for k in keys]))
    return sorted((r["county"], r["household_number"]) for r in cur.fetchall())


def derive(cur: psycopg.Cursor[DictRow], dirty: Dirty) -> None:
    households = expand(cur, dirty)
    if not households:
        return
    counties, numbers = [k[0] for k in households], [k[1] for k in households]
    for table in ("income_lines", "household_months", "household_years", "flags"):
        cur.execute(f"DELETE FROM {table} WHERE (county, household_number) IN"  # noqa: S608 - fixed names
                    " (SELECT * FROM unnest(%s::text[], %s::text[]))", (counties, numbers))
    params = ParamsByCounty(cur)
    lines, months, years, flags = [], [], [], []
    for county, number in households:
        members = _members(cur, county, number)
        found = _lines(cur, params, county, number, members)
        lines += [(county, number, k, y, m, c, kind, a, cost, Jsonb(src)) for k, y, m, c, kind, a, cost, src in found]
        m_rows, y_rows, f_rows = _totals(cur, params, county, number, members, found)
        months += m_rows
        years += y_rows
        flags += f_rows
    copy_rows(cur, "income_lines", lines)
    copy_rows(cur, "household_months", months)
    copy_rows(cur, "household_years", years)
    copy_rows(cur, "flags", flags)


def _members(cur: psycopg.Cursor[DictRow], county: str, number: str) -> list[DictRow]:
    cur.execute("SELECT * FROM members WHERE county = %s AND household_number = %s ORDER BY person_number",
                (county, number))
    return cur.fetchall()


def _is_member(row: Any, on: date) -> bool:
    return (row["joined_on"] is None or row["joined_on"] <= on) and (row["left_on"] is None or row["left_on"] > on)


def _owner(cur: psycopg.Cursor[DictRow], id_hash: str, on: date, cache: dict[str, list[DictRow]]) -> tuple[str, str] | None:
    """The household a person belonged to on ``on`` (the first by county and household number if several)."""
    if id_hash not in cache:
        cur.execute("SELECT * FROM members WHERE id_hash = %s ORDER BY county, household_number, person_number",
                    (id_hash,))
        cache[id_hash] = cur.fetchall()
    for row in cache[id_hash]:
        if _is_member(row, on):
            return row["county"], row["household_number"]
    return None


def _lines(cur: psycopg.Cursor[DictRow], params: ParamsByCounty, county: str, number: str,
           members: list[DictRow]) -> list[Line]:
    out: list[Line] = []
    hashes = sorted({m["id_hash"] for m in members})
    seen: dict[str, list[DictRow]] = {}
    cur.execute("SELECT s.*, p.month, p.organisation, p.workshop_id, p.county AS workshop_county FROM slips s"
                " JOIN payrolls p USING (payroll_id) WHERE s.id_hash = ANY(%s) AND NOT s.voided"
                " AND s.verified_version = s.version ORDER BY s.slip_id", (hashes,))
    for s in cur.fetchall():
        if _owner(cur, s["id_hash"], month_bounds(s["month"])[1], seen) == (county, number):
            out.append((f"slip:{s['slip_id']}", int(s["month"][:4]), s["month"], "wage", "wage_slip", s["net_fen"], 0,
                        {"event": "Payroll.SlipVerified", "slip_id": str(s["slip_id"]), "slip_version": s["version"],
                         "organisation": s["organisation"], "workshop_id": str(s["workshop_id"]),
                         "workshop_county": s["workshop_county"], "month": s["month"], "gross_fen": s["gross_fen"],
                         "net_fen": s["net_fen"], "counted": "net_fen (实发工资)"}))
    cur.execute("SELECT p.*, c.organisation, c.county AS claim_county FROM subsidy_payments p JOIN claims c"
                " USING (claim_id) WHERE p.payee_hash = ANY(%s) ORDER BY p.claim_id, p.payee_hash", (hashes,))
    for p in cur.fetchall():
        if _owner(cur, p["payee_hash"], p["paid_on"], seen) != (county, number):
            continue
        cur.execute("SELECT line_no, slip_id, month, subsidy, amount_fen, explanation FROM claim_lines"
                    " WHERE claim_id = %s AND payee = %s AND NOT rejected ORDER BY line_no",
                    (p["claim_id"], f"worker:{p['payee_hash']}"))
        claimed = [{**dict(r), "slip_id": str(r["slip_id"])} for r in cur.fetchall()]
        month = p["paid_on"].strftime("%Y-%m")
        out.append((f"subsidy:{p['claim_id']}", p["paid_on"].year, month, "transfer", "worker_wage_subsidy",
                    p["amount_fen"], 0, {"event": "Claim.Paid", "claim_id": str(p["claim_id"]),
                                         "reference": p["reference"], "paid_on": p["paid_on"].isoformat(),
                                         "organisation": p["organisation"], "lines": claimed}))
    cur.execute("SELECT * FROM linkage_payments WHERE county = %s AND payee = %s ORDER BY seller, reference",
                (county, number))
    for p in cur.fetchall():
        category, kind = LINKAGE_KINDS[p["kind"]]
        cost, source = 0, {"event": "LinkageLedger.PaymentRecorded", "seller": p["seller"],
                           "reference": p["reference"], "paid_on": p["paid_on"].isoformat()}
        if kind == "procurement":
            ratio = params.on(county, p["paid_on"])[rules.cost_parameter(p["produce"])]
            cost = rules.operating_cost(p["amount_fen"], ratio.typed())
            source |= {"produce": p["produce"], "quantity": p["quantity"], "cost_ratio": ratio.value,
                       "cost_parameter": ratio.name, "cost_source": ratio.source}
        elif kind == "revenue_share":
            source |= {"product_id": str(p["product_id"]) if p["product_id"] else None,
                       "basis": "payout recorded by the seller (兑付), counted when paid"}
        out.append((f"payment:{p['seller']}:{p['reference']}", p["paid_on"].year, p["paid_on"].strftime("%Y-%m"),
                    category, kind, p["amount_fen"], cost, source))
    cur.execute("SELECT * FROM declarations WHERE county = %s AND household_number = %s ORDER BY year, income_type",
                (county, number))
    for d in cur.fetchall():
        out.append((f"declared:{d['year']}:{d['income_type']}", d["year"], None,
                    rules.declared_category(d["income_type"]), f"declared_{d['income_type']}", d["amount_fen"], 0,
                    {"event": "Household.OtherIncomeDeclared", "household_version": d["version"],
                     "income_type": d["income_type"], "note": d["note"]}))
    return out


def _count(members: list[DictRow], first: date, last: date) -> int:
    """Members registered on some day of the period (joined by its last day, not left before its first)."""
    return sum(1 for m in members if (m["joined_on"] is None or m["joined_on"] <= last)
               and (m["left_on"] is None or m["left_on"] > first))


def _totals(cur: psycopg.Cursor[DictRow], params: ParamsByCounty, county: str, number: str,
            members: list[DictRow], lines: list[Line]) -> tuple[list[Any], list[Any], list[Any]]:
    by_month: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_year: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for _, year, month, category, _, amount, cost, _ in lines:
        for bucket in ([by_month[month]] if month else []) + [by_year[year]]:
            bucket[category] += amount
            bucket["cost"] += cost
    months = []
    for month, t in sorted(by_month.items()):
        first, last = month_bounds(month)
        months.append((county, number, month, t["wage"], t["operating"], t["cost"], t["property"], t["transfer"],
                       sum(t[c] for c in rules.CATEGORIES) - t["cost"], _count(members, first, last)))
    cur.execute("SELECT village_code FROM households WHERE county = %s AND household_number = %s", (county, number))
    village = cur.fetchone()["village_code"]  # type: ignore[index]
    net_of = {m[2]: m[8] for m in months}
    years, flags = [], []
    for year, t in sorted(by_year.items()):
        gross = sum(t[c] for c in rules.CATEGORIES)
        net = gross - t["cost"]
        count = _count(members, date(year, 1, 1), date(year, 12, 31))
        head = rules.per_capita(net, count)
        p = params.on(county, date(year, 12, 31))
        line, threshold = p["monitoring.poverty_line_fen"].typed(), p["monitoring.threshold_fen"].typed()
        recent = sum(net_of.get(f"{year}-{m}", 0) for m in rules.DROP_MONTHS)
        earlier = sum(net_of.get(f"{year - 1}-{m}", 0) for m in rules.DROP_MONTHS)
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
                detail = {"months": [f"{year}-{m}" for m in rules.DROP_MONTHS], "recent_fen": recent,
                          "earlier_fen": earlier, "sudden_drop_pct": pct.value, "source": pct.source}
            flags.append((county, number, year, flag, Jsonb(evidence | detail)))
    return months, years, flags

"""Rent & utilities subsidy (场租水电)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from xiaofei.rules.entitlements.facts import CertificationFacts, Line, params_reference
from xiaofei.rules.money import apply_rate, yuan
from xiaofei.rules.parameters import ParameterVersion


def rent_line(month: str, last: date, cert: CertificationFacts, costs_fen: int, eligible_workers: int, staff: int,
              params: dict[str, ParameterVersion], evidence: list[str]) -> Line:
    """Rent & utilities subsidy (场租水电): a share of evidenced costs while poor workers are enough of the staff,
    for the first months after certification."""
    ratio: Decimal = params["subsidy.rent_ratio"].typed()
    share_needed: Decimal = params["subsidy.rent_min_poor_share"].typed()
    months_allowed: int = params["subsidy.rent_months"].typed()
    checks = []
    certified = cert.in_force_on(last)
    checks.append({"code": "workshop_certified",
                   "check": f"workshop certified on {last.isoformat()}", "passed": certified,
                   "detail": cert.describe(last)})
    first = cert.first_certified_on
    if certified and first is not None:
        # The clock runs from the first certification and does not stop during a gap: a workshop that is
        # decertified and certified again does not start a new subsidised period.
        since = (int(month[:4]) - first.year) * 12 + int(month[5:]) - first.month
        checks.append({"code": "rent_months", "check": f"within {months_allowed} months of the first certification",
                       "passed": since < months_allowed,
                       "detail": f"month {since + 1} since first certified on {first.isoformat()}"})
    share = Decimal(eligible_workers) / staff if staff else Decimal(0)
    checks.append({"code": "poor_share",
                   "check": f"eligible poor workers at least {share_needed} of staff", "passed": share >= share_needed,
                   "detail": f"{eligible_workers} of {staff}"})
    checks.append({"code": "costs_evidenced",
                   "check": "costs evidenced", "passed": bool(evidence), "detail": "; ".join(evidence)})
    eligible = all(c["passed"] for c in checks)
    amount = apply_rate(ratio, costs_fen) if eligible else 0
    return Line("rent_utilities", "employer", amount, eligible, {
        "month": month, "rule": "rent & utilities subsidy = ratio × evidenced costs of the month", "checks": checks,
        **params_reference(("subsidy.rent_ratio", "subsidy.rent_min_poor_share", "subsidy.rent_months"), last),
        "inputs": {"ratio": str(ratio), "costs_fen": costs_fen},
        "arithmetic": [f"{ratio} × {yuan(costs_fen)}元 = {yuan(amount)}元 (half-up to the fen)" if eligible
                       else "not eligible"], "amount_fen": amount})

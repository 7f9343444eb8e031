"""Workshop certification criteria (扶贫车间认定), month by month."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from xiaofei.rules.entitlements.facts import (
    PersonFacts,
    SlipFacts,
    age_on,
    month_last_day,
    months_back,
    params_reference,
)
from xiaofei.rules.money import yuan
from xiaofei.rules.parameters import ParameterVersion


def counts_for_certification(slip: SlipFacts, person: PersonFacts | None, first: date,
                             params: dict[str, ParameterVersion]) -> bool:
    """Does this worker-month count towards the workshop's certification criteria? The worker is eligible
    (a registry member on the month's last day whose household category is eligible, within the age bounds on
    the month's first day) with a current slip that the bank statement verified, and, where the county sets
    ``workshop.min_monthly_wage_fen`` (吉林 2018: pay at least the local minimum wage), enough gross pay."""
    if slip.voided or slip.verified_version != slip.version or person is None:
        return False
    if person.category not in params["worker.eligible_categories"].typed():
        return False
    top = params["worker.max_age_male"].typed() if person.sex == "M" else params["worker.max_age_female"].typed()
    if not params["worker.min_age"].typed() <= age_on(person.birth_date, first) <= top:
        return False
    floor = params["workshop.min_monthly_wage_fen"].typed()
    return floor is None or slip.gross_fen >= floor


def certification_months(months: list[str], eligible: dict[str, set[str]], staff: dict[str, int],
                         params_for: Any) -> list[dict[str, Any]]:
    """Month by month: does the workshop meet the certification criteria, and with which workers?

    ``eligible[m]`` holds the workers whose month ``m`` counts (see ``counts_for_certification``); a worker
    qualifies in month M when their months count in each of the ``min_employment_months`` consecutive months
    ending at M. ``staff[m]`` is everyone with a current slip in ``m``.
    """
    out = []
    for m in months:
        params = params_for(m)
        need_months: int = params["workshop.min_employment_months"].typed()
        need_workers: int = params["workshop.min_poor_workers"].typed()
        share = params["workshop.min_poor_share"].typed()
        floor = params["workshop.min_monthly_wage_fen"].typed()
        window = months_back(m, need_months)
        qualifying = sorted(h for h in eligible.get(m, set()) if all(h in eligible.get(w, set()) for w in window))
        meets = len(qualifying) >= need_workers or (
            share is not None and staff.get(m, 0) > 0 and Decimal(len(qualifying)) / staff[m] >= share
            and len(qualifying) > 0)
        out.append({"month": m, "qualifying_workers": qualifying, "staff": staff.get(m, 0), "meets": meets,
                    "rule": f"≥{need_workers} eligible workers each with bank-verified slips in {need_months}"
                            " consecutive months"
                            + (f" paying at least {yuan(floor)}元 a month" if floor is not None else "")
                            + (f", or ≥{share} of staff" if share is not None else ""),
                    **params_reference(("workshop.min_poor_workers", "workshop.min_employment_months",
                               "workshop.min_poor_share", "workshop.min_monthly_wage_fen"), month_last_day(m))})
    return out

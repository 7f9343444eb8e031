"""Employment subsidy entitlements (就业帮扶补贴): pure functions from facts to explained amounts.

The explanation of every line carries the slip (id, version, gross), the parameters used (value, scope,
effective dates, source), each eligibility check with its reason, and the arithmetic; recomputing the
arithmetic from the explanation's numbers gives the amount.

One module per subsidy; the facts and the explanation helpers they share are in ``facts``.
"""

from xiaofei.rules.entitlements.awards import HIRING_PARAMETERS, EligibleMonth, HiringAward, hiring_award_lines
from xiaofei.rules.entitlements.certification import certification_months, counts_for_certification
from xiaofei.rules.entitlements.facts import (
    CertificationFacts,
    CertificationPeriod,
    Line,
    PersonFacts,
    SlipFacts,
    age_on,
    era_of,
    expand_parameters,
    month_last_day,
    months_before,
    parameter_view,
)
from xiaofei.rules.entitlements.rent import rent_line
from xiaofei.rules.entitlements.training import Trainee, training_lines
from xiaofei.rules.entitlements.wages import WAGE_PARAMETERS, WorkerMonthSlip, worker_month_lines

__all__ = [
    "HIRING_PARAMETERS", "WAGE_PARAMETERS", "CertificationFacts", "CertificationPeriod", "EligibleMonth",
    "HiringAward", "Line", "PersonFacts", "SlipFacts", "Trainee", "WorkerMonthSlip", "age_on",
    "certification_months", "counts_for_certification", "era_of", "expand_parameters", "hiring_award_lines",
    "month_last_day", "months_before", "parameter_view", "rent_line", "training_lines", "worker_month_lines",
]

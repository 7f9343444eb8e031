"""The household income projection (收入核算): writes each event's facts stamped with its log position, then
recomputes the households they reach (see ``derive``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg.rows import DictRow

from xiaofei.domain.claims import Claim
from xiaofei.domain.consumption.linkage import LinkageLedger
from xiaofei.domain.employment import Payroll
from xiaofei.domain.policy import PolicyBook
from xiaofei.domain.registry import Household
from xiaofei.projectors.base import BatchProjection
from xiaofei.projectors.employment.facts import record_policy
from xiaofei.projectors.income import facts
from xiaofei.projectors.income.derive import derive
from xiaofei.projectors.income.revenue_share import Sales


class IncomeProjection(BatchProjection):
    name = "income"

    def apply(self, cur: psycopg.Cursor[DictRow], events: Sequence[Any]) -> None:
        dirty = facts.Dirty()
        sales = Sales()
        at = facts.positions(cur, events)
        before = facts.log_today(cur)
        facts.record_positions(cur, events, at)
        dirty.today_moved(before, facts.log_today(cur))
        for e, pos in zip(events, at, strict=True):
            if isinstance(e, Household.Event):
                facts.record_household(cur, e, dirty, pos)
            elif isinstance(e, Payroll.Event):
                facts.record_payroll(cur, e, dirty, pos)
            elif isinstance(e, Claim.Event):
                facts.record_claim(cur, e, dirty, pos)
            elif isinstance(e, LinkageLedger.Event):
                facts.record_linkage(cur, e, dirty, pos)
            elif isinstance(e, PolicyBook.Event):
                record_policy(cur, e, dirty.scopes)
                facts.record_policy_position(cur, e, pos)
            else:
                sales.record(cur, e, pos)
        dirty.flush(cur)
        sales.naming(cur, dirty.categorised)
        dirty.households.update(sales.households(cur))
        derive(cur, dirty)

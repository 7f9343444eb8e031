"""Buyers and the reserved share (预留份额) a budget unit files each year.

A budget unit (预算单位) files, per year, its canteen food budget and the share of it reserved for products from
poverty-alleviation areas (≥ ``purchase.reserved_share_min`` of its scope: 10% nationally since 2021, 财库〔2021〕
19号; provinces 15–30%), or that it has no canteen (exempt), or that it shares a canteen whose unit files. A trade
union (工会) or a staff member (个人) names the budget unit its purchases count for.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate, event

from xiaofei.domain import ids
from xiaofei.domain.errors import invalid

BUYER_TYPES: dict[str, str] = {
    "budget_unit": "预算单位",
    "enterprise": "企业",
    "trade_union": "工会",
    "east_west_partner": "东西部协作单位",
    "individual": "个人",
}
CREDITS_A_UNIT = ("budget_unit", "trade_union", "individual")
"""The buyers whose purchase may fill a budget unit's reserved share: the unit itself, its trade union (工会) and its
staff (职工, individuals) who tag the purchase to it (2022/2023 notices). An enterprise's or an east–west partner's
purchase is its own, whatever unit it names."""
FILING_KINDS: dict[str, str] = {
    "canteen": "有食堂：预留份额",
    "no_canteen": "无食堂（免报）",
    "shared_canteen": "共用食堂（由另一单位填报）",
}


class ShareFiling(msgspec.Struct, frozen=True, kw_only=True):
    year: int
    kind: str
    canteen_budget_fen: int
    reserved_share_rate: Decimal
    shared_with: str | None
    """For ``shared_canteen``: the budget unit that files for the shared canteen."""
    reserved_fen: int
    """round half up (budget × rate); 0 when exempt or shared."""
    minimum_rate: Decimal
    """``purchase.reserved_share_min`` in force for the unit's county on 1 January of the year."""
    filed_on: date


class Buyer(Aggregate):
    @staticmethod
    def create_id(key: str) -> UUID:
        return ids.buyer_id(key)

    class Registered(Aggregate.Created):
        key: str
        name: str
        buyer_type: str
        county: str
        credit_code: str | None
        counts_for: str | None
        """For a trade union or a staff member: the budget unit its purchases count for."""
        actor: str

    @event(Registered)
    def __init__(self, key: str, name: str, buyer_type: str, county: str, credit_code: str | None,
                 counts_for: str | None, actor: str) -> None:
        self.key = key
        self.name = name
        self.buyer_type = buyer_type
        self.county = county
        self.credit_code = credit_code
        self.counts_for = counts_for
        self.filings: dict[int, ShareFiling] = {}

    class ShareFiled(Aggregate.Event):
        filing: ShareFiling
        replaces: bool
        reason: str
        actor: str

    def file_share(self, filing: ShareFiling, reason: str, actor: str) -> None:
        if self.buyer_type != "budget_unit":
            raise invalid("buyer", f"only a budget unit files a reserved share; this buyer is a {self.buyer_type}")
        replaces = filing.year in self.filings
        if replaces and not reason.strip():
            raise invalid("reason", f"the {filing.year} filing exists: say why it is corrected")
        self._share_filed(filing=filing, replaces=replaces, reason=reason.strip(), actor=actor)

    @event(ShareFiled)
    def _share_filed(self, filing: ShareFiling, replaces: bool, reason: str, actor: str) -> None:
        self.filings[filing.year] = filing

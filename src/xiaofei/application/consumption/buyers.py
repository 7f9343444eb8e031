"""Buyers a county registers, and the reserved share (预留份额) a budget unit files each year.

Sources: 财政部 国务院扶贫办《关于运用政府采购政策支持脱贫攻坚的通知》（财库〔2019〕27号）; 财政部 农业农村部 国家乡村振兴局
《关于运用政府采购政策支持乡村产业振兴的通知》（财库〔2021〕19号：预留比例原则上不低于10%）.
"""

from __future__ import annotations

import secrets
from datetime import date
from decimal import Decimal
from typing import Any

import msgspec
from eventsourcing.persistence import IntegrityError

from xiaofei.application.consumption.common import ConsumptionBase, check_rate
from xiaofei.domain.bounds import check_fen
from xiaofei.domain.codes import normalise_credit_code
from xiaofei.domain.consumption.buyers import BUYER_TYPES, CREDITS_A_UNIT, FILING_KINDS, Buyer, ShareFiling
from xiaofei.domain.errors import AlreadyExists, invalid
from xiaofei.rules.money import apply_rate

COUNTS_FOR_TYPES = tuple(t for t in CREDITS_A_UNIT if t != "budget_unit")  # who names the unit it counts for
FIRST_YEAR, LAST_YEAR = 2013, 2099


def individual_key() -> str:
    """A county-given key for a staff member who buys (no credit code): ``IND`` and 15 random digits."""
    return "IND" + "".join(secrets.choice("0123456789") for _ in range(15))


class BuyerService(ConsumptionBase):
    def buyer(self, key: str) -> Buyer:
        return self.get(Buyer.create_id(key), Buyer, f"no buyer {key}")

    def _budget_unit(self, key: str, field: str) -> Buyer:
        found = self.maybe(Buyer.create_id(key), Buyer)
        if found is None or found.buyer_type != "budget_unit":
            raise invalid(field, f"{key} is not a registered budget unit (预算单位)")
        return found

    def register(self, county: str, name: str, buyer_type: str, credit_code: str | None, counts_for: str | None,
                 actor: str) -> tuple[str, int]:
        if buyer_type not in BUYER_TYPES:
            raise invalid("buyer_type", "must be one of " + ", ".join(f"{k} ({v})" for k, v in BUYER_TYPES.items()))
        if not name.strip():
            raise invalid("name", "is required")
        if buyer_type == "individual":
            if credit_code:
                raise invalid("credit_code", "an individual has no credit code: leave it out (the county gives a key)")
            code = None
        else:
            if not credit_code:
                raise invalid("credit_code", f"a {buyer_type} is registered by its unified social credit code")
            # any division: an east–west partner or a provincial unit is registered elsewhere
            code = normalise_credit_code(credit_code)
        if counts_for is not None:
            if buyer_type not in COUNTS_FOR_TYPES:
                raise invalid("counts_for", "only a trade union or an individual names a budget unit it counts for")
            self._budget_unit(counts_for, "counts_for")
        for _ in range(5):
            key = code or individual_key()
            buyer = Buyer(key=key, name=name.strip(), buyer_type=buyer_type, county=county, credit_code=code,
                          counts_for=counts_for, actor=actor)
            try:
                return key, self.app.record(buyer)
            except IntegrityError:
                if code is not None:
                    raise AlreadyExists(f"buyer {code} is already registered") from None
        raise AlreadyExists("could not draw a free key for the individual; try again")  # pragma: no cover

    def profile(self, key: str) -> dict[str, Any]:
        buyer = self.buyer(key)
        return {"key": buyer.key, "name": buyer.name, "buyer_type": buyer.buyer_type, "county": buyer.county,
                "credit_code": buyer.credit_code, "counts_for": buyer.counts_for,
                "filings": [buyer.filings[y] for y in sorted(buyer.filings)]}

    def minimum_rate(self, county: str, year: int) -> Decimal:
        """``purchase.reserved_share_min`` in force for the county on 1 January of the year: the most specific
        scope wins (a province's 30% over the national 10%)."""
        return Decimal(self.parameter(county, "purchase.reserved_share_min", date(year, 1, 1)))

    def file_share(self, key: str, year: int, kind: str, canteen_budget_fen: int, reserved_share_rate: Decimal,
                   shared_with: str | None, reason: str, actor: str) -> tuple[ShareFiling, int]:
        today = self.today()
        if not FIRST_YEAR <= year <= min(LAST_YEAR, today.year + 1):
            raise invalid("year", f"must be between {FIRST_YEAR} and {min(LAST_YEAR, today.year + 1)}")
        if kind not in FILING_KINDS:
            raise invalid("kind", "must be one of " + ", ".join(f"{k} ({v})" for k, v in FILING_KINDS.items()))
        check_rate("reserved_share_rate", reserved_share_rate)
        buyer = self.buyer(key)
        minimum = self.minimum_rate(buyer.county, year)
        if kind == "canteen":
            check_fen("canteen_budget_fen", canteen_budget_fen, minimum=1)
            if reserved_share_rate < minimum:
                raise invalid("reserved_share_rate", f"must be at least {minimum} (purchase.reserved_share_min in "
                                                     f"force for county {buyer.county} on {year}-01-01)")
            if shared_with is not None:
                raise invalid("shared_with", "only a shared_canteen filing names the unit that files")
            reserved = apply_rate(reserved_share_rate, canteen_budget_fen)
        else:
            if canteen_budget_fen != 0:
                raise invalid("canteen_budget_fen", f"a {kind} filing has no canteen budget of its own: 0")
            if reserved_share_rate != 0:
                raise invalid("reserved_share_rate", f"a {kind} filing reserves nothing: 0")
            if kind == "shared_canteen":
                if shared_with is None:
                    raise invalid("shared_with", "name the budget unit that files for the shared canteen")
                if shared_with == key:
                    raise invalid("shared_with", "is this unit itself")
                self._budget_unit(shared_with, "shared_with")
            elif shared_with is not None:
                raise invalid("shared_with", "only a shared_canteen filing names the unit that files")
            reserved = 0
        filing = ShareFiling(year=year, kind=kind, canteen_budget_fen=canteen_budget_fen,
                             reserved_share_rate=reserved_share_rate, shared_with=shared_with, reserved_fen=reserved,
                             minimum_rate=minimum, filed_on=today)

        existing = buyer.filings.get(year)
        if existing is not None and msgspec.structs.replace(filing, filed_on=existing.filed_on) == existing:
            return existing, self.app.head_position()  # the same filing again

        def decide(b: Buyer) -> None:
            b.file_share(filing, reason, actor)

        position = self.update(lambda: (self.buyer(key),), decide)
        return filing, position

"""Products (扶贫产品 / 消费帮扶产品) a seller lists, with their benefit linkage plan, price, stock and yearly
capacity; and each county's reference prices (参考均价) the price check compares them with.

Stock is kept on the product: an order takes its quantity in the same transaction that places it (optimistic
concurrency on the product's version), so stock never goes below zero whatever the concurrency.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate, event

from xiaofei.domain import ids
from xiaofei.domain.bounds import MAX_COUNT, check_fen
from xiaofei.domain.consumption.categories import CATEGORIES as VOCABULARY
from xiaofei.domain.errors import Conflict, invalid

CATEGORIES: dict[str, str] = {code: c.label for code, c in VOCABULARY.items()}
"""A product's category: the one vocabulary procurements use too (``domain.consumption.categories``)."""


class PlanHousehold(msgspec.Struct, frozen=True, kw_only=True):
    household_number: str
    """户编号 in the product's origin county."""
    weight: int
    """A positive whole number; shares are in proportion to weights."""


class LinkagePlan(msgspec.Struct, frozen=True, kw_only=True):
    """Who benefits from a product and how (利益联结方案)."""

    households: list[PlanHousehold]
    mechanisms: list[str]
    revenue_share_rate: Decimal
    """Share of the product's recognised net sales in a month that goes into its benefit pool (0 without the
    ``revenue_share`` mechanism)."""


def check_plan(plan: LinkagePlan) -> None:
    numbers = [h.household_number for h in plan.households]
    if len(set(numbers)) != len(numbers):
        raise invalid("plan.households", "a household is named twice")
    if "collective" in numbers:  # the payee of the village collective's part of a pool, never a household
        raise invalid("plan.households", "collective is the village collective's part of the pool, not a household")
    if any(h.weight <= 0 for h in plan.households):
        raise invalid("plan.households", "every weight must be a positive whole number")
    if not Decimal(0) <= plan.revenue_share_rate <= Decimal(1):
        raise invalid("plan.revenue_share_rate", "must be between 0 and 1")
    if ("revenue_share" in plan.mechanisms) != (plan.revenue_share_rate > 0):
        raise invalid("plan.revenue_share_rate", "is above 0 exactly when the plan has the revenue_share mechanism")
    if "revenue_share" in plan.mechanisms and not plan.households:
        raise invalid("plan.households", "a revenue share needs at least one household")


class Product(Aggregate):
    class Listed(Aggregate.Created):
        seller: str
        county: str
        name: str
        category: str
        specification: str
        unit: str
        price_fen: int
        stock: int
        origin_county: str
        origin_village: str | None
        yearly_capacity: int
        plan: LinkagePlan
        listed_on: date
        actor: str

    @event(Listed)
    def __init__(self, seller: str, county: str, name: str, category: str, specification: str, unit: str,
                 price_fen: int, stock: int, origin_county: str, origin_village: str | None, yearly_capacity: int,
                 plan: LinkagePlan, listed_on: date, actor: str) -> None:
        self.seller = seller
        self.county = county
        self.name = name
        self.category = category
        self.specification = specification
        self.unit = unit
        self.price_fen = price_fen
        self.stock = stock
        self.origin_county = origin_county
        self.origin_village = origin_village
        self.yearly_capacity = yearly_capacity
        self.plan = plan
        self.listed_on = listed_on
        self.delisted_on: date | None = None

    def _listed(self) -> None:
        if self.delisted_on is not None:
            raise Conflict(f"the product was delisted on {self.delisted_on.isoformat()}")

    class PlanChanged(Aggregate.Event):
        plan: LinkagePlan
        effective_month: str
        reason: str
        actor: str

    def change_plan(self, plan: LinkagePlan, effective_month: str, reason: str, actor: str) -> None:
        self._listed()
        check_plan(plan)
        if not reason.strip():
            raise invalid("reason", "is required")
        self._plan_changed(plan=plan, effective_month=effective_month, reason=reason.strip(), actor=actor)

    @event(PlanChanged)
    def _plan_changed(self, plan: LinkagePlan, effective_month: str, reason: str, actor: str) -> None:
        self.plan = plan

    class PriceChanged(Aggregate.Event):
        price_fen: int
        changed_on: date
        reason: str
        actor: str

    def change_price(self, price_fen: int, changed_on: date, reason: str, actor: str) -> None:
        self._listed()
        check_fen("price_fen", price_fen, minimum=1)
        self._price_changed(price_fen=price_fen, changed_on=changed_on, reason=reason.strip(), actor=actor)

    @event(PriceChanged)
    def _price_changed(self, price_fen: int, changed_on: date, reason: str, actor: str) -> None:
        self.price_fen = price_fen

    class StockAdjusted(Aggregate.Event):
        delta: int
        stock: int
        reason: str
        actor: str

    def adjust_stock(self, delta: int, reason: str, actor: str) -> None:
        self._listed()
        if delta == 0:
            raise invalid("delta", "must not be 0")
        if not reason.strip():
            raise invalid("reason", "is required")
        if self.stock + delta < 0:
            raise Conflict(f"stock is {self.stock} {self.unit}: it cannot go below zero")
        if self.stock + delta > MAX_COUNT:
            raise invalid("delta", f"stock is {self.stock} {self.unit}: it cannot go above {MAX_COUNT}")
        self._stock_adjusted(delta=delta, stock=self.stock + delta, reason=reason.strip(), actor=actor)

    @event(StockAdjusted)
    def _stock_adjusted(self, delta: int, stock: int, reason: str, actor: str) -> None:
        self.stock = stock

    class StockTaken(Aggregate.Event):
        order_id: UUID
        quantity: int
        stock: int

    def take(self, order_id: UUID, quantity: int) -> None:
        self._listed()
        if quantity > self.stock:
            raise Conflict(f"only {self.stock} {self.unit} of {self.name} in stock: {quantity} ordered")
        self._taken(order_id=order_id, quantity=quantity, stock=self.stock - quantity)

    @event(StockTaken)
    def _taken(self, order_id: UUID, quantity: int, stock: int) -> None:
        self.stock = stock

    class StockReturned(Aggregate.Event):
        order_id: UUID
        quantity: int
        stock: int

    def give_back(self, order_id: UUID, quantity: int) -> None:
        self._returned(order_id=order_id, quantity=quantity, stock=self.stock + quantity)

    @event(StockReturned)
    def _returned(self, order_id: UUID, quantity: int, stock: int) -> None:
        self.stock = stock

    class Delisted(Aggregate.Event):
        delisted_on: date
        reason: str
        actor: str

    def delist(self, delisted_on: date, reason: str, actor: str) -> None:
        self._listed()
        if not reason.strip():
            raise invalid("reason", "is required")
        self._delisted(delisted_on=delisted_on, reason=reason.strip(), actor=actor)

    @event(Delisted)
    def _delisted(self, delisted_on: date, reason: str, actor: str) -> None:
        self.delisted_on = delisted_on


class ReferencePrice(msgspec.Struct, frozen=True, kw_only=True):
    category: str
    specification: str
    unit: str
    price_fen: int
    effective_from: date
    source: str


class PriceBook(Aggregate):
    """A county's reference average prices by category and specification (同规格同品质平均价)."""

    @staticmethod
    def create_id(county: str) -> UUID:
        return ids.price_book_id(county)

    class Opened(Aggregate.Created):
        county: str

    @event(Opened)
    def __init__(self, county: str) -> None:
        self.county = county
        self.prices: list[ReferencePrice] = []

    class PriceRecorded(Aggregate.Event):
        price: ReferencePrice
        actor: str

    @event(PriceRecorded)
    def record(self, price: ReferencePrice, actor: str) -> None:
        self.prices.append(price)

    def reference(self, category: str, specification: str, unit: str, on: date) -> ReferencePrice | None:
        """The latest price in force on ``on`` for this category, specification and unit (recorded later wins)."""
        best: ReferencePrice | None = None
        for price in self.prices:
            if (price.category, price.specification, price.unit) == (category, specification, unit) \
                    and price.effective_from <= on and (best is None or price.effective_from >= best.effective_from):
                best = price
        return best

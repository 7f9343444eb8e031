"""Products a certified seller lists (with their benefit linkage plan), their changes, their certification
application; and the county's reference prices (参考均价) the price check compares them with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

import msgspec

from xiaofei.application.consumption.certification import CertificationService
from xiaofei.application.consumption.common import ConsumptionBase, check_rate
from xiaofei.domain import ids
from xiaofei.domain.bounds import check_count, check_fen, day_problem, month_problem
from xiaofei.domain.clock import business_month
from xiaofei.domain.codes import check_county_code, check_village_code
from xiaofei.domain.consumption.products import (
    CATEGORIES,
    LinkagePlan,
    PriceBook,
    Product,
    ReferencePrice,
    check_plan,
)
from xiaofei.domain.consumption.sellers import check_mechanisms
from xiaofei.domain.errors import Conflict, InvalidInput, NotFound, invalid
from xiaofei.domain.registry import County
from xiaofei.queries.paging import cursor, parse, text


@dataclass(frozen=True)
class Listing:
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


def _category(category: str) -> str:
    if category not in CATEGORIES:
        raise invalid("category", "must be one of " + ", ".join(f"{k} ({v})" for k, v in CATEGORIES.items()))
    return category


def _price(price_fen: int, field: str = "price_fen") -> int:
    return check_fen(field, price_fen, minimum=1)


def _plan(plan: LinkagePlan) -> LinkagePlan:
    check_rate("plan.revenue_share_rate", plan.revenue_share_rate)
    mechanisms = check_mechanisms(list(plan.mechanisms), "plan.mechanisms")
    plan = msgspec.structs.replace(plan, mechanisms=mechanisms)
    check_plan(plan)
    return plan


class ProductService(ConsumptionBase):
    def __init__(self, certification: CertificationService) -> None:
        super().__init__(certification.app, certification.policy, certification.clock)
        self.certification_service = certification

    def today(self) -> date:
        return self.certification_service.today()  # one business clock for the whole workflow

    def product(self, seller: str, product_id: UUID) -> Product:
        """The seller's product, or 404 with the same words whether it is another seller's or none at all."""
        missing = f"no product {product_id} of seller {seller}"
        product = self.get(product_id, Product, missing)
        if product.seller != seller:
            raise NotFound(missing)
        return product

    # -- listing ----------------------------------------------------------------------------------------

    def list_product(self, seller: str, listing: Listing, actor: str) -> tuple[UUID, int]:
        """A certified seller (valid today) lists a product from its own county or from another county this
        platform serves (the 脱贫县 it sells for under 东西部协作 or 对口帮扶)."""
        org = self.seller_organisation(seller)
        today = self.today()
        cert = self.certification("seller", seller)
        if cert is None or not cert.valid_on(today):
            state = "has not applied for certification" if cert is None else f"is {cert.state_on(today)}"
            raise Conflict(f"only a certified seller lists products: seller {seller} {state}")
        origin = check_county_code(listing.origin_county, "origin_county")
        if origin != org.county and self.maybe(ids.county_id(origin), County) is None:
            raise invalid("origin_county", f"is neither the seller's county {org.county} nor a county registered on "
                                           "the platform (a 脱贫县 it sells for)")
        if listing.origin_village is not None:
            check_village_code(listing.origin_village, origin, "origin_village")
        _category(listing.category)
        _price(listing.price_fen)
        check_count("stock", listing.stock)
        check_count("yearly_capacity", listing.yearly_capacity, minimum=1)
        for field in ("name", "specification", "unit"):
            if not getattr(listing, field).strip():
                raise invalid(field, "is required")
        product = Product(seller=seller, county=org.county, name=listing.name.strip(), category=listing.category,
                          specification=listing.specification.strip(), unit=listing.unit.strip(),
                          price_fen=listing.price_fen, stock=listing.stock, origin_county=origin,
                          origin_village=listing.origin_village, yearly_capacity=listing.yearly_capacity,
                          plan=_plan(listing.plan), listed_on=today, actor=actor)
        return product.id, self.app.record(product)

    def _change(self, seller: str, product_id: UUID, decide: Any) -> int:
        return self.update(lambda: (self.product(seller, product_id),), decide)

    def change_price(self, seller: str, product_id: UUID, price_fen: int, reason: str, actor: str) -> int:
        _price(price_fen)
        today = self.today()
        return self._change(seller, product_id, lambda p: p.change_price(price_fen, today, reason, actor))

    def adjust_stock(self, seller: str, product_id: UUID, delta: int, reason: str, actor: str) -> int:
        return self._change(seller, product_id, lambda p: p.adjust_stock(delta, reason, actor))

    def change_plan(self, seller: str, product_id: UUID, plan: LinkagePlan, effective_month: str, reason: str,
                    actor: str) -> int:
        problem = month_problem("effective_month", effective_month)
        if problem is not None:
            raise InvalidInput(problem)
        current = business_month(self.today())
        if effective_month < current:
            # Months already accrued keep the plan they were accrued under (and may have been paid out under it):
            # a change reaches the open month at the earliest, never history (a date before the listing included).
            raise invalid("effective_month", f"a plan change takes effect from the current month ({current}) or a "
                                             f"later one: months already accrued keep the plan they were accrued "
                                             f"under")
        checked = _plan(plan)
        return self._change(seller, product_id, lambda p: p.change_plan(checked, effective_month, reason, actor))

    def delist(self, seller: str, product_id: UUID, reason: str, actor: str) -> int:
        today = self.today()
        return self._change(seller, product_id, lambda p: p.delist(today, reason, actor))

    def apply(self, seller: str, product_id: UUID, applied_on: date, actor: str) -> tuple[UUID, int]:
        """The product's certification application: only for a listed product of a certified seller (valid on the
        day) that has declared its benefit linkage."""
        product = self.product(seller, product_id)
        self.stated("applied_on", applied_on)
        if product.delisted_on is not None:
            raise Conflict(f"the product was delisted on {product.delisted_on.isoformat()}")
        self.certified_seller(seller, applied_on, "a product's certification")
        return self.certification_service.apply("product", str(product.id), product.county, seller, applied_on,
                                                actor)

    def detail(self, seller: str, product_id: UUID) -> dict[str, Any]:
        product = self.product(seller, product_id)
        cert = self.certification("product", str(product.id))
        seller_cert = self.certification("seller", seller)
        today = self.today()
        return {
            "product_id": product.id,
            "seller": product.seller,
            "county": product.county,
            "name": product.name,
            "category": product.category,
            "specification": product.specification,
            "unit": product.unit,
            "price_fen": product.price_fen,
            "stock": product.stock,
            "origin_county": product.origin_county,
            "origin_village": product.origin_village,
            "yearly_capacity": product.yearly_capacity,
            "plan": msgspec.to_builtins(product.plan),
            "listed_on": product.listed_on,
            "delisted_on": product.delisted_on,
            "seller_certified_today": seller_cert is not None and seller_cert.valid_on(today),
            "certification": None if cert is None else self.certification_view(cert),
        }

    # -- reference prices ----------------------------------------------------------------------------------

    def record_reference_price(self, county: str, category: str, specification: str, unit: str, price_fen: int,
                               effective_from: date, source: str, actor: str) -> int:
        _category(category)
        _price(price_fen)
        problem = day_problem("effective_from", effective_from)
        if problem is not None:
            raise InvalidInput(problem)
        for field, value in (("specification", specification), ("unit", unit), ("source", source)):
            if not value.strip():
                raise invalid(field, "is required")
        price = ReferencePrice(category=category, specification=specification.strip(), unit=unit.strip(),
                               price_fen=price_fen, effective_from=effective_from, source=source.strip())

        def attempt() -> int:
            book = self.maybe(PriceBook.create_id(county), PriceBook) or PriceBook(county=county)
            if price in book.prices:
                return self.app.head_position()  # the same price again
            book.record(price, actor)
            return self.app.record(book)

        return self.retrying(attempt)

    def reference_prices(self, county: str, category: str | None, after: str | None,
                         limit: int) -> tuple[list[ReferencePrice], str | None]:
        """The county's reference prices by category, specification, unit and effective date (recorded order
        within a day), paged."""
        book = self.maybe(PriceBook.create_id(county), PriceBook)
        rows = [(p.category, p.specification, p.unit, p.effective_from.isoformat(), f"{i:08d}", p)
                for i, p in enumerate(book.prices if book else []) if category is None or p.category == category]
        rows.sort(key=lambda r: r[:5])
        start = parse(after, text, text, text, text, text)
        if start is not None:
            rows = [r for r in rows if list(r[:5]) > start]
        items = rows[:limit]
        return [r[5] for r in items], (cursor(*items[-1][:5]) if len(rows) > limit and items else None)

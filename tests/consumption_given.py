"""Given-these-events helpers for the consumption slice: a certified seller, a certified product, a buyer, recorded
straight through the domain aggregates (the commands that make them have tests of their own)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

from xiaofei.bootstrap import Services
from xiaofei.domain.codes import uscc_check_char
from xiaofei.domain.consumption.buyers import Buyer
from xiaofei.domain.consumption.certification import CertificateNumber, Certification
from xiaofei.domain.consumption.orders import Order, OrderLine
from xiaofei.domain.consumption.products import LinkagePlan, PlanHousehold, Product
from xiaofei.domain.consumption.sellers import Seller
from xiaofei.domain.employment import Organisation

_serial = itertools.count(1)
_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def credit_code(county: str, prefix: str = "93") -> str:
    """A fresh GB 32100 code issued in ``county`` (93 = a farmers' cooperative, 11 = a government unit)."""
    n = next(_serial)
    body = prefix + county + "".join(_CHARS[(n // 31 ** i) % 31] for i in range(8, -1, -1))
    return body + uscc_check_char(body)


def _certify(services: Services, subject: str, subject_id: str, county: str, organisation: str,
             certified_on: date, valid_to: date, number: str) -> Certification:
    cert = Certification(subject=subject, subject_id=subject_id, county=county, organisation=organisation,
                         applied_on=certified_on - timedelta(days=10), township_review=False, actor="test")
    today = max(certified_on, date.today())
    cert.county_review(certified_on - timedelta(days=9), today, True, "同意", None, "test")
    cert.publish_notice(certified_on - timedelta(days=8), today, 7, "test")
    cert.certify(number, certified_on, today, valid_to, "test")
    return cert


def _number(cert: Certification) -> CertificateNumber:
    assert cert.certificate_number is not None
    return CertificateNumber(county=cert.county, certificate_number=cert.certificate_number,
                             certification_id=cert.id, subject=cert.subject, subject_id=cert.subject_id,
                             organisation=cert.organisation)


@dataclass(frozen=True)
class GivenSeller:
    credit_code: str
    county: str
    certification_id: UUID


def given_certified_seller(services: Services, county: str, *, certified_on: date = date(2024, 1, 10),
                           valid_to: date = date(2099, 12, 31), name: str = "测试茶叶专业合作社") -> GivenSeller:
    code = credit_code(county)
    org = Organisation(credit_code=code, name=name, form="cooperative", county=county, address="测试镇", actor="test")
    seller = Seller(credit_code=code, county=county, name=name, form="cooperative")
    seller.declare_linkage(["procurement", "revenue_share"], "收购茶青并按销售额分红", certified_on, "test")
    cert = _certify(services, "seller", code, county, code, certified_on, valid_to, f"S-{code[-6:]}")
    services.app.record(org, seller, cert, _number(cert))
    return GivenSeller(code, county, cert.id)


@dataclass(frozen=True)
class GivenProduct:
    product_id: UUID
    certification_id: UUID
    certificate_number: str
    seller: str
    county: str
    price_fen: int


def given_certified_product(services: Services, seller: GivenSeller, *, price_fen: int = 10000, stock: int = 1000,
                            households: tuple[str, ...] = (), rate: str = "0.10",
                            certified_on: date = date(2024, 2, 1), valid_to: date = date(2099, 12, 31),
                            yearly_capacity: int = 100000, category: str = "tea",
                            name: str = "测试绿茶", origin_county: str | None = None) -> GivenProduct:
    share = Decimal(rate)
    plan = LinkagePlan(households=[PlanHousehold(household_number=h, weight=1) for h in households],
                       mechanisms=["revenue_share"] if share > 0 else ["procurement"], revenue_share_rate=share)
    product = Product(seller=seller.credit_code, county=seller.county, name=name, category=category,
                      specification="250g", unit="罐", price_fen=price_fen, stock=stock,
                      origin_county=origin_county or seller.county,
                      origin_village=None, yearly_capacity=yearly_capacity, plan=plan,
                      listed_on=certified_on - timedelta(days=11), actor="test")
    number = f"P-{str(product.id)[:8]}"
    cert = _certify(services, "product", str(product.id), seller.county, seller.credit_code, certified_on, valid_to,
                    number)
    services.app.record(product, cert, _number(cert))
    return GivenProduct(product.id, cert.id, number, seller.credit_code, seller.county, price_fen)


def given_buyer(services: Services, county: str, buyer_type: str = "budget_unit", *,
                counts_for: str | None = None) -> str:
    code = credit_code(county, "11" if buyer_type == "budget_unit" else "91")
    services.app.record(Buyer(key=code, name=f"测试{buyer_type}{code[-4:]}", buyer_type=buyer_type, county=county,
                              credit_code=code, counts_for=counts_for, actor="test"))
    return code


def given_received_order(services: Services, buyer: str, product: GivenProduct, *, quantity: int = 1,
                         received_on: date, buyer_type: str = "budget_unit", counts_for: str | None = None,
                         tag: str | None = None, unit_price_fen: int | None = None) -> UUID:
    """An order of one line placed, paid, shipped and received on ``received_on`` (the steps a day apart before)."""
    price = unit_price_fen if unit_price_fen is not None else product.price_fen
    line = OrderLine(line_no=1, product_id=product.product_id, name="测试绿茶", category="tea", quantity=quantity,
                     unit_price_fen=price, amount_fen=price * quantity, certificate_number=product.certificate_number,
                     certified_until=date(2099, 12, 31))
    today = max(received_on, date.today())
    key = f"k{next(_serial)}"
    order = Order(buyer=buyer, buyer_type=buyer_type, buyer_county=product.county, counts_for=counts_for,
                  seller=product.seller, county=product.county, lines=[line], tag=tag,
                  placed_on=received_on - timedelta(days=3), idempotency_key=key, request_hash="h", actor="test")
    order.pay(received_on - timedelta(days=2), today, "PAY-" + key, key + "p", "h", "test")
    order.ship(received_on - timedelta(days=1), today, "SF" + key, key + "s", "h", "test")
    order.receive(received_on, today, key + "r", "h", "test")
    services.app.record(order)
    return order.id


def given_refund(services: Services, order_id: UUID, amount_fen: int, *, recorded_on: date, line_no: int = 1) -> None:
    """A refund recorded on ``recorded_on`` (the business day it adjusts)."""
    order = services.app.repository.get(order_id)
    order.refund(line_no, amount_fen, "质量问题", recorded_on, f"r{next(_serial)}", "h", "test")
    services.app.record(order)

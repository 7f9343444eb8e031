"""Example events of the consumption aggregates for the event catalogue (``catalogue.py``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from eventsourcing.domain import Aggregate

from xiaofei.domain.consumption import buyers, certification, channel, linkage, orders, products, sellers

AGGREGATES: tuple[type[Aggregate], ...] = (
    certification.Certification, certification.CertificateNumber, sellers.Seller, products.Product, products.PriceBook, buyers.Buyer, orders.Order,
    channel.ChannelSale, channel.ChannelUpload, linkage.LinkageLedger,
)
CODE = "93360724MA35YYYY0X"


def aggregates() -> list[Aggregate]:
    """One aggregate of each kind, taken through every event it has."""
    today = date(2024, 6, 30)
    cert = certification.Certification(subject="product", subject_id=str(UUID(int=31)), county="360724",
                                       organisation=CODE, applied_on=date(2024, 3, 1), township_review=True,
                                       actor="token:seller")
    cert.township_review_(date(2024, 3, 4), today, True, "材料齐全，同意上报", "token:official")
    check = certification.PriceCheck(price_fen=3500, reference_price_fen=2800, band="0.20", deviation="0.2500",
                                     outside_band=True, acknowledged=True, note="有机认证，溢价合理")
    cert.county_review(date(2024, 3, 6), today, True, "同意认定", check, "token:official")
    cert.publish_notice(date(2024, 3, 7), today, 7, "token:official")
    cert.lodge_objection("价格偏高", date(2024, 3, 9), today, "token:official")
    cert.resolve_objection(1, "dismissed", "有机认证证书核实无误", date(2024, 3, 12), today, "token:official")
    cert.certify("上犹扶贫产品-2024-017", date(2024, 3, 15), today, date(2025, 3, 14), "token:official")
    cert.renew(date(2024, 4, 1), today, date(2025, 4, 1), "年度复核通过", "token:official")
    cert.suspend(date(2024, 5, 1), today, "抽检不合格", "token:official")
    cert.reinstate(date(2024, 5, 20), today, "复检合格", "token:official")
    cert.revoke(date(2024, 6, 1), today, "弄虚作假", "token:official")
    cert.reapply(date(2024, 6, 10), today, False, "token:seller")

    seller = sellers.Seller(credit_code=CODE, county="360724", name="上犹县某茶叶专业合作社", form="cooperative")
    seller.declare_linkage(["procurement", "revenue_share"], "收购社员茶青，按销售额10%分红", date(2024, 2, 20),
                           "token:seller")
    plan = products.LinkagePlan(households=[products.PlanHousehold(household_number="36072400000001", weight=1)],
                                mechanisms=["revenue_share"], revenue_share_rate=Decimal("0.10"))
    product = products.Product(seller=CODE, county="360724", name="上犹绿茶", category="tea", specification="250g罐装",
                               unit="罐", price_fen=3500, stock=100, origin_county="360724",
                               origin_village="360724100001", yearly_capacity=2000, plan=plan,
                               listed_on=date(2024, 2, 25), actor="token:seller")
    product.change_plan(plan, "2024-07", "新增联结户", "token:seller")
    product.change_price(3300, date(2024, 6, 1), "新茶上市", "token:seller")
    product.adjust_stock(50, "新批次入库", "token:seller")
    product.take(UUID(int=41), 2)
    product.give_back(UUID(int=41), 2)
    product.delist(date(2024, 12, 31), "停产", "token:seller")
    book = products.PriceBook(county="360724")
    book.record(products.ReferencePrice(category="tea", specification="250g罐装", unit="罐", price_fen=2800,
                                        effective_from=date(2024, 1, 1), source="县发改局2024年一季度均价"),
                "token:official")

    buyer = buyers.Buyer(key="11360724000000000X", name="上犹县财政局", buyer_type="budget_unit", county="360724",
                         credit_code="11360724000000000X", counts_for=None, actor="token:official")
    buyer.file_share(buyers.ShareFiling(year=2024, kind="canteen", canteen_budget_fen=20_000_000,
                                        reserved_share_rate=Decimal("0.10"), shared_with=None, reserved_fen=2_000_000,
                                        minimum_rate=Decimal("0.10"), filed_on=date(2024, 2, 20)), "", "token:buyer")

    line = orders.OrderLine(line_no=1, product_id=UUID(int=31), name="上犹绿茶", category="tea", quantity=2,
                            unit_price_fen=3500, amount_fen=7000, certificate_number="上犹扶贫产品-2024-017",
                            certified_until=date(2025, 3, 15))
    order = orders.Order(buyer=buyer.key, buyer_type="budget_unit", buyer_county="360724", counts_for=None,
                         seller=CODE, county="360724", lines=[line], tag="designated", placed_on=date(2024, 5, 2),
                         idempotency_key="order-2024-05-02-1", request_hash="e" * 64, actor="token:buyer")
    order.pay(date(2024, 5, 2), today, "ZF20240502-77", "pay-1", "f" * 64, "token:buyer")
    order.ship(date(2024, 5, 3), today, "SF1234567890", "ship-1", "f" * 64, "token:seller")
    order.receive(date(2024, 5, 6), today, "receive-1", "f" * 64, "token:buyer")
    order.complete(date(2024, 5, 7), today, "complete-1", "f" * 64, "token:buyer")
    order.refund(1, 3500, "一罐破损", today, "refund-1", "f" * 64, "token:seller")
    cancelled = orders.Order(buyer=buyer.key, buyer_type="budget_unit", buyer_county="360724", counts_for=None,
                             seller=CODE, county="360724", lines=[line], tag=None, placed_on=date(2024, 5, 2),
                             idempotency_key="order-2", request_hash="e" * 64, actor="token:buyer")
    cancelled.cancel(today, "重复下单", "cancel-1", "f" * 64, "token:buyer")

    facts = channel.ChannelSaleFacts(product_id=UUID(int=31), seller=CODE, certificate_number="上犹扶贫产品-2024-017",
                                     sold_on=date(2024, 5, 8), quantity=10, amount_fen=35000, channel="platform_832",
                                     reference="832-20240508-0001", buyer_type="budget_unit",
                                     budget_unit="11360724000000000X", tag=None)
    sale = channel.ChannelSale(county="360724", sale=facts, upload_id=UUID(int=51), actor="token:seller")
    upload = channel.ChannelUpload(uploader=CODE, county="360724", idempotency_key="832-2024-05",
                                   file_sha256="a" * 64, media_type="text/csv", rows=1, recorded=1, already_known=0,
                                   actor="token:seller", price_warnings=[channel.PriceWarning(
                                       row=2, reference="832-20240508-0001", product_id=facts.product_id,
                                       sold_on=facts.sold_on, quantity=facts.quantity, amount_fen=facts.amount_fen,
                                       reference_price_fen=2000, band="0.20", deviation="0.7500")])
    ledger = linkage.LinkageLedger(seller=CODE, county="360724")
    ledger.record_payment(linkage.LinkagePayment(kind="procurement", payee="36072400000001", amount_fen=120000,
                                                 paid_on=date(2024, 4, 2), reference="SG-20240402-01",
                                                 produce="forest_products", quantity="300 斤"), "token:seller")
    number = certification.CertificateNumber(county="360724", certificate_number="上犹扶贫产品-2024-017",
                                             certification_id=UUID(int=61), subject="product",
                                             subject_id=str(UUID(int=31)), organisation=CODE)
    return [cert, number, seller, product, book, buyer, order, cancelled, sale, upload, ledger]

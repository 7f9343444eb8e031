"""The consumption domain's rules, given these events, when this command, then these events or this error."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from xiaofei.domain.consumption.certification import Certification, PriceCheck, add_months, validity_end
from xiaofei.domain.consumption.orders import Order, OrderLine
from xiaofei.domain.consumption.products import LinkagePlan, PlanHousehold, PriceBook, Product, ReferencePrice, check_plan
from xiaofei.domain.errors import Conflict, InvalidInput

TODAY = date(2024, 6, 30)


def applied(township: bool = False, on: date = date(2024, 3, 1)) -> Certification:
    return Certification(subject="seller", subject_id="93360724MA35YYYY0X", county="360724",
                         organisation="93360724MA35YYYY0X", applied_on=on, township_review=township, actor="t")


def in_notice(published: date = date(2024, 3, 7)) -> Certification:
    cert = applied()
    cert.county_review(date(2024, 3, 6), TODAY, True, "同意", None, "t")
    cert.publish_notice(published, TODAY, 7, "t")
    return cert


def certified() -> Certification:
    cert = in_notice()
    cert.certify("C-1", date(2024, 3, 15), TODAY, date(2025, 3, 14), "t")
    return cert


def test_a_township_review_comes_first_when_the_county_asks_for_one() -> None:
    cert = applied(township=True)
    with pytest.raises(Conflict):
        cert.county_review(date(2024, 3, 2), TODAY, True, "同意", None, "t")
    cert.township_review_(date(2024, 3, 2), TODAY, True, "材料齐全", "t")
    cert.county_review(date(2024, 3, 3), TODAY, True, "同意", None, "t")
    assert cert.status == "reviewed"


def test_the_notice_cannot_be_backdated_before_the_review_nor_dated_in_the_future() -> None:
    cert = applied()
    cert.county_review(date(2024, 3, 6), TODAY, True, "同意", None, "t")
    with pytest.raises(InvalidInput, match="published_on"):
        cert.publish_notice(date(2024, 3, 5), TODAY, 7, "t")
    with pytest.raises(InvalidInput, match="published_on"):
        cert.publish_notice(TODAY + timedelta(days=1), TODAY, 7, "t")


def test_no_certificate_before_the_notice_has_run_or_while_an_objection_is_open() -> None:
    cert = in_notice()
    with pytest.raises(InvalidInput, match="certified_on"):
        cert.certify("C-1", date(2024, 3, 13), TODAY, date(2025, 3, 13), "t")
    cert.lodge_objection("价格虚高", date(2024, 3, 14), TODAY, "t")  # published on 3-07: its last day is 3-14
    cert.resolve_objection(1, "dismissed", "核实无误", date(2024, 3, 14), TODAY, "t")
    with pytest.raises(InvalidInput, match="the earliest is 2024-03-15"):
        cert.certify("C-1", date(2024, 3, 14), TODAY, date(2025, 3, 13), "t")
    cert.lodge_objection("价格虚高", date(2024, 3, 8), TODAY, "t")
    with pytest.raises(Conflict, match="objection"):
        cert.certify("C-1", date(2024, 3, 15), TODAY, date(2025, 3, 14), "t")
    cert.resolve_objection(2, "dismissed", "核实无误", date(2024, 3, 10), TODAY, "t")
    cert.certify("C-1", date(2024, 3, 15), TODAY, date(2025, 3, 14), "t")
    assert cert.status == "certified" and cert.valid_on(date(2024, 3, 15)) and not cert.valid_on(date(2024, 3, 14))


def test_an_upheld_objection_refuses_the_application_and_it_may_apply_again() -> None:
    cert = in_notice()
    cert.lodge_objection("未带动农户", date(2024, 3, 8), TODAY, "t")
    cert.resolve_objection(1, "upheld", "核实属实", date(2024, 3, 9), TODAY, "t")
    assert cert.status == "refused"
    cert.reapply(date(2024, 4, 1), TODAY, False, "t")
    assert cert.status == "applied" and not cert.objections


def test_a_suspension_stops_counting_from_its_date_and_a_reinstatement_starts_again() -> None:
    cert = certified()
    cert.suspend(date(2024, 5, 1), TODAY, "抽检不合格", "t")
    assert cert.valid_on(date(2024, 4, 30)) and not cert.valid_on(date(2024, 5, 1))
    cert.reinstate(date(2024, 5, 20), TODAY, "复检合格", "t")
    assert not cert.valid_on(date(2024, 5, 19)) and cert.valid_on(date(2024, 5, 20))
    cert.revoke(date(2024, 6, 1), TODAY, "弄虚作假", "t")
    assert cert.valid_on(date(2024, 5, 31)) and not cert.valid_on(date(2024, 6, 1)) and cert.status == "revoked"


def test_a_certificate_expires_after_its_last_valid_day_and_the_annual_review_extends_it() -> None:
    cert = certified()
    assert cert.valid_on(date(2025, 3, 14)) and not cert.valid_on(date(2025, 3, 15))
    cert.renew(date(2024, 6, 1), TODAY, validity_end(date(2025, 3, 15), 12), "年度复核通过", "t")
    assert cert.valid_on(date(2026, 3, 14)) and cert.state_on(date(2026, 3, 15)) == "expired"


def test_validity_months_keep_the_day_or_take_the_months_last() -> None:
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 3, 14), 12) == date(2025, 3, 14)


def test_a_12_month_certificate_counts_its_first_day_and_ends_the_day_before_the_anniversary() -> None:
    assert validity_end(date(2025, 10, 29), 12) == date(2026, 10, 28)
    assert validity_end(date(2024, 3, 1), 1) == date(2024, 3, 31)


def test_a_price_outside_the_band_must_be_acknowledged_to_approve() -> None:
    cert = applied()
    check = PriceCheck(price_fen=3500, reference_price_fen=2800, band="0.20", deviation="0.2500", outside_band=True,
                       acknowledged=False, note="")
    with pytest.raises(InvalidInput, match="price_acknowledged"):
        cert.county_review(date(2024, 3, 6), TODAY, True, "同意", check, "t")
    cert.county_review(date(2024, 3, 6), TODAY, False, "价格偏高，不予通过", check, "t")
    assert cert.status == "refused"


def test_the_reference_price_is_the_latest_in_force_for_the_same_category_specification_and_unit() -> None:
    book = PriceBook(county="360724")
    for price, day in ((2800, date(2024, 1, 1)), (3000, date(2024, 7, 1))):
        book.record(ReferencePrice(category="tea", specification="250g", unit="罐", price_fen=price,
                                   effective_from=day, source="县发改局"), "t")
    assert book.reference("tea", "250g", "罐", date(2024, 6, 30)).price_fen == 2800  # type: ignore[union-attr]
    assert book.reference("tea", "250g", "罐", date(2024, 7, 1)).price_fen == 3000  # type: ignore[union-attr]
    assert book.reference("tea", "500g", "罐", date(2024, 7, 1)) is None


def _product(stock: int = 10) -> Product:
    plan = LinkagePlan(households=[PlanHousehold(household_number="A", weight=1)], mechanisms=["revenue_share"],
                       revenue_share_rate=Decimal("0.10"))
    return Product(seller="S", county="360724", name="绿茶", category="tea", specification="250g", unit="罐",
                   price_fen=3500, stock=stock, origin_county="360724", origin_village=None, yearly_capacity=100,
                   plan=plan, listed_on=date(2024, 1, 1), actor="t")


def test_stock_never_goes_below_zero_and_the_refusal_names_the_stock() -> None:
    product = _product(stock=10)
    product.take(UUID(int=1), 10)
    with pytest.raises(Conflict, match="only 0 罐"):
        product.take(UUID(int=2), 1)
    product.give_back(UUID(int=1), 10)
    assert product.stock == 10


def test_a_plan_weights_households_and_its_rate_matches_its_mechanisms() -> None:
    with pytest.raises(InvalidInput, match="revenue_share_rate"):
        check_plan(LinkagePlan(households=[], mechanisms=["procurement"], revenue_share_rate=Decimal("0.1")))
    with pytest.raises(InvalidInput, match="households"):
        check_plan(LinkagePlan(households=[PlanHousehold(household_number="A", weight=0)],
                               mechanisms=["revenue_share"], revenue_share_rate=Decimal("0.1")))


def _order() -> Order:
    line = OrderLine(line_no=1, product_id=UUID(int=1), name="绿茶", category="tea", quantity=2, unit_price_fen=3500,
                     amount_fen=7000, certificate_number="C-1", certified_until=date(2025, 3, 14))
    return Order(buyer="B", buyer_type="budget_unit", buyer_county="360724", counts_for=None, seller="S",
                 county="360724", lines=[line], tag=None, placed_on=date(2024, 5, 2), idempotency_key="k",
                 request_hash="h", actor="t")


def test_an_order_moves_forward_only_and_refunds_stay_within_the_line() -> None:
    order = _order()
    with pytest.raises(Conflict):
        order.ship(date(2024, 5, 3), TODAY, "SF1", "k2", "h", "t")
    with pytest.raises(Conflict, match="refunds follow a payment"):
        order.refund(1, 100, "破损", TODAY, "k3", "h", "t")
    order.pay(date(2024, 5, 2), TODAY, "ZF1", "k4", "h", "t")
    order.ship(date(2024, 5, 3), TODAY, "SF1", "k5", "h", "t")
    with pytest.raises(Conflict, match="not yet shipped"):
        order.cancel(TODAY, "不要了", "k6", "h", "t")
    with pytest.raises(InvalidInput, match="received_on"):
        order.receive(date(2024, 5, 2), TODAY, "k7", "h", "t")
    order.receive(date(2024, 5, 6), TODAY, "k7", "h", "t")
    order.refund(1, 3500, "一罐破损", TODAY, "k8", "h", "t")
    with pytest.raises(InvalidInput, match="3500 fen left"):
        order.refund(1, 3501, "再退", TODAY, "k9", "h", "t")


def test_one_idempotency_key_names_one_command() -> None:
    order = _order()
    order.pay(date(2024, 5, 2), TODAY, "ZF1", "pay", "h1", "t")
    assert order.seen("pay", "pay", "h1")
    with pytest.raises(Conflict, match="Idempotency-Key"):
        order.seen("pay", "ship", "h1")
    with pytest.raises(Conflict, match="Idempotency-Key"):
        order.seen("k", "pay", "h1")  # the key that placed the order
    assert not order.seen("new", "ship", "h2")


# -- the revenue-share pool (xiaofei.rules.consumption) ---------------------------------------------------------------

def test_a_pool_of_100_yuan_gives_the_collective_30_and_three_equal_households_23_34_23_33_23_33() -> None:
    from xiaofei.rules.consumption import split_pool

    split = split_pool(100_000, Decimal("0.10"), Decimal("0.30"), [("C", 1), ("A", 1), ("B", 1)])
    assert (split.pool_fen, split.collective_fen) == (10_000, 3_000)
    assert split.households == [("A", 1, 2334), ("B", 1, 2333), ("C", 1, 2333)]


def test_a_negative_month_takes_back_exactly_what_the_same_sales_gave() -> None:
    from xiaofei.rules.consumption import split_pool

    given = split_pool(33_333, Decimal("0.15"), Decimal("0.30"), [("A", 2), ("B", 1), ("C", 1)])
    taken = split_pool(-33_333, Decimal("0.15"), Decimal("0.30"), [("A", 2), ("B", 1), ("C", 1)])
    assert taken.pool_fen == -given.pool_fen and taken.collective_fen == -given.collective_fen
    assert [f for _, _, f in taken.households] == [-f for _, _, f in given.households]
    assert given.collective_fen + sum(f for _, _, f in given.households) == given.pool_fen


def test_payouts_settle_the_oldest_months_first() -> None:
    from xiaofei.rules.consumption import owed_since

    assert owed_since([("2024-06", 500), ("2024-05", 1000)], 1200) == (300, "2024-06")
    assert owed_since([("2024-05", 1000), ("2024-06", -200)], 0) == (800, "2024-05")
    assert owed_since([("2024-05", 1000), ("2024-06", 300)], 1100) == (200, "2024-06")
    assert owed_since([("2024-05", 1000)], 1000) == (0, None)

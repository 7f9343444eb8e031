"""The consumption projection, given these events, then these rows: which sales count, the revenue-share pool of a
month and its split, what refunds adjust, and the flags raised as the events arrive."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.consumption_given import (
    given_buyer,
    given_certified_product,
    given_certified_seller,
    given_received_order,
    given_refund,
)
from tests.helpers import households_csv
from tests.integration.test_projections import wait_caught_up
from xiaofei.bootstrap import Services


def rows(services: Services, query: str, *args: Any) -> list[dict[str, Any]]:
    wait_caught_up(services, "consumption")
    with services.params.connect() as conn:
        cur = conn.execute(query, args)
        names = [d.name for d in cur.description or ()]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def households(services: Services, county: str, count: int = 3) -> list[str]:
    services.importer.run(county, f"{county}.csv", households_csv(county, count), "test")
    return [f"{county}H{h:07d}" for h in range(count)]


def test_a_10_percent_share_of_1000_yuan_received_in_may_pools_100_yuan_split_30_and_23_34_23_33_23_33(
        services: Services, county_code: str) -> None:
    a, b, c = households(services, county_code)
    seller = given_certified_seller(services, county_code)
    product = given_certified_product(services, seller, price_fen=100_000, households=(c, a, b), rate="0.10")
    unit = given_buyer(services, county_code)
    order = given_received_order(services, unit, product, received_on=date(2024, 5, 20))

    pool = rows(services, "SELECT month, net_sales_fen, pool_fen, collective_fen FROM rm_consumption.pools"
                          " WHERE product_id = %s", product.product_id)
    assert pool == [{"month": "2024-05", "net_sales_fen": 100_000, "pool_fen": 10_000, "collective_fen": 3_000}]
    shares = rows(services, "SELECT payee, amount_fen FROM rm_consumption.pool_shares WHERE product_id = %s"
                            " AND month = '2024-05' ORDER BY payee", product.product_id)
    assert shares == [{"payee": a, "amount_fen": 2334}, {"payee": b, "amount_fen": 2333},
                      {"payee": c, "amount_fen": 2333}, {"payee": "collective", "amount_fen": 3000}]

    # a 100.00元 refund recorded in June reduces June's pool by 10.00元 and leaves May unchanged
    given_refund(services, order, 10_000, recorded_on=date(2024, 6, 3))
    pools = rows(services, "SELECT month, net_sales_fen, pool_fen, collective_fen FROM rm_consumption.pools"
                           " WHERE product_id = %s ORDER BY month", product.product_id)
    assert pools == [{"month": "2024-05", "net_sales_fen": 100_000, "pool_fen": 10_000, "collective_fen": 3_000},
                     {"month": "2024-06", "net_sales_fen": -10_000, "pool_fen": -1_000, "collective_fen": -300}]
    june = rows(services, "SELECT payee, amount_fen FROM rm_consumption.pool_shares WHERE product_id = %s"
                          " AND month = '2024-06' ORDER BY payee", product.product_id)
    assert [r["amount_fen"] for r in june] == [-234, -233, -233, -300]


def test_a_sale_counts_only_on_days_both_certificates_cover(services: Services, county_code: str) -> None:
    seller = given_certified_seller(services, county_code, certified_on=date(2024, 1, 10), valid_to=date(2024, 12, 31))
    product = given_certified_product(services, seller, certified_on=date(2024, 2, 1), valid_to=date(2024, 6, 30))
    unit = given_buyer(services, county_code)
    # certification is judged on the day an order is placed (three days before its receipt here)
    given_received_order(services, unit, product, received_on=date(2024, 7, 2))  # placed the day before expiry
    given_received_order(services, unit, product, received_on=date(2024, 7, 3))  # placed on the last day
    given_received_order(services, unit, product, received_on=date(2024, 7, 4))  # placed once expired
    got = rows(services, "SELECT day, cert_day, counted FROM rm_consumption.sales WHERE product_id = %s ORDER BY day",
               product.product_id)
    assert [(r["cert_day"], r["counted"]) for r in got] == [(date(2024, 6, 29), True), (date(2024, 6, 30), True),
                                                             (date(2024, 7, 1), False)]


def test_a_suspension_stops_counting_from_its_date_even_for_sales_already_projected(
        services: Services, county_code: str) -> None:
    seller = given_certified_seller(services, county_code)
    product = given_certified_product(services, seller, households=(), rate="0")
    unit = given_buyer(services, county_code)
    given_received_order(services, unit, product, received_on=date(2024, 5, 12))  # placed on 5-09
    given_received_order(services, unit, product, received_on=date(2024, 5, 13))  # placed on 5-10
    assert [r["counted"] for r in rows(services, "SELECT counted FROM rm_consumption.sales WHERE seller = %s"
                                                 " ORDER BY day", seller.credit_code)] == [True, True]
    cert = services.app.repository.get(seller.certification_id)
    cert.suspend(date(2024, 5, 10), max(date.today(), date(2024, 5, 10)), "抽检不合格", "test")
    services.app.record(cert)
    assert [r["counted"] for r in rows(services, "SELECT counted FROM rm_consumption.sales WHERE seller = %s"
                                                 " ORDER BY day", seller.credit_code)] == [True, False]


def test_sales_beyond_the_declared_yearly_capacity_raise_a_flag_with_the_figures(
        services: Services, county_code: str) -> None:
    seller = given_certified_seller(services, county_code)
    product = given_certified_product(services, seller, yearly_capacity=5, households=(), rate="0")
    unit = given_buyer(services, county_code)
    given_received_order(services, unit, product, quantity=5, received_on=date(2024, 3, 1))
    assert rows(services, "SELECT * FROM rm_consumption.flags WHERE subject = %s", str(product.product_id)) == []
    given_received_order(services, unit, product, quantity=1, received_on=date(2024, 3, 2))
    flag = rows(services, "SELECT kind, evidence FROM rm_consumption.flags WHERE subject = %s",
                str(product.product_id))
    assert flag == [{"kind": "sales_beyond_capacity",
                     "evidence": {"product": "测试绿茶", "year": 2024, "sold": 6, "unit": "罐", "yearly_capacity": 5}}]


def test_capacity_counts_net_units_a_refund_returns_the_units_it_paid_back(
        services: Services, county_code: str) -> None:
    """Capacity 10: 10 received then fully refunded, then 1 more sold: 1 unit, no flag. 10 more sold (11), a flag;
    a refund of one unit's price brings it back to 10, and the flag goes."""
    seller = given_certified_seller(services, county_code)
    product = given_certified_product(services, seller, yearly_capacity=10, households=(), rate="0")
    unit = given_buyer(services, county_code)
    order = given_received_order(services, unit, product, quantity=10, received_on=date(2024, 3, 1))
    given_refund(services, order, 10 * product.price_fen, recorded_on=date(2024, 3, 5))
    given_received_order(services, unit, product, quantity=1, received_on=date(2024, 3, 6))
    flagged = "SELECT evidence->>'sold' AS sold FROM rm_consumption.flags WHERE subject = %s"
    assert rows(services, flagged, str(product.product_id)) == []
    assert rows(services, "SELECT sum(quantity) AS units FROM rm_consumption.sales WHERE product_id = %s",
                product.product_id) == [{"units": 1}]
    second = given_received_order(services, unit, product, quantity=10, received_on=date(2024, 3, 7))
    assert rows(services, flagged, str(product.product_id)) == [{"sold": "11"}]
    given_refund(services, second, product.price_fen // 2, recorded_on=date(2024, 3, 8))  # half a unit: none back
    assert rows(services, flagged, str(product.product_id)) == [{"sold": "11"}]
    given_refund(services, second, product.price_fen // 2, recorded_on=date(2024, 3, 9))  # a whole unit now
    assert rows(services, flagged, str(product.product_id)) == []


def test_a_plan_household_not_registered_or_not_eligible_is_flagged(services: Services, county_code: str) -> None:
    (registered,) = households(services, county_code, 1)
    seller = given_certified_seller(services, county_code)
    product = given_certified_product(services, seller, households=(registered, f"{county_code}H9999999"))
    flags = rows(services, "SELECT evidence->>'household_number' AS h, evidence->>'problem' AS problem"
                           " FROM rm_consumption.flags WHERE subject = %s ORDER BY 1", str(product.product_id))
    assert flags == [{"h": f"{county_code}H9999999", "problem": "not registered in the origin county"}]
    services.registry.change_category(county_code, registered, "ordinary", None, date.today() - timedelta(days=1),
                                      "risk_cleared", "", "test")
    flags = rows(services, "SELECT evidence->>'household_number' AS h FROM rm_consumption.flags"
                           " WHERE subject = %s ORDER BY 1", str(product.product_id))
    assert flags == [{"h": registered}, {"h": f"{county_code}H9999999"}]

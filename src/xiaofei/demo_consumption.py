"""The demo county's consumption story (消费帮扶): three certified sellers of 上犹县 (a tea cooperative, a camellia-oil
enterprise, a family farm), six certified products with benefit-linkage plans naming demo households, the county's
reference prices, three budget units with this year's reserved-share filings and a trade union counting for one,
five months of channel sales (832 platform, e-commerce, 专柜), a few platform orders received today (one refunded),
procurement from linked households and revenue-share payouts that leave some share owed.

Everything goes through the application services, as a user's requests would; every date is relative to today
(Asia/Shanghai), so the certificates are valid whenever the demo is loaded. Shapes follow 石首市 2020 (82 entities,
123 products) scaled to one township's worth, and the 三七分配 of 陕西柞水县2019年“夏季攻势”方案.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from xiaofei.application.consumption.channel_rows import parse_table
from xiaofei.application.consumption.linkage import PaymentInput
from xiaofei.application.consumption.products import Listing
from xiaofei.domain.codes import uscc_check_char
from xiaofei.domain.consumption.products import LinkagePlan, PlanHousehold
from xiaofei.domain.errors import AlreadyExists

COUNTY = "360724"


def _code(prefix: str, serial: str) -> str:
    body = f"{prefix}{COUNTY}{serial}"
    return body + uscc_check_char(body)


SELLERS = [
    (_code("93", "MA35CHA01"), "上犹县梅水茶叶专业合作社", "cooperative", "上犹县梅水乡园村"),
    (_code("91", "MA35YUY02"), "上犹县油石山茶油有限公司", "enterprise", "上犹县油石乡工业小区"),
    (_code("92", "MA35NNN03"), "上犹县营前镇刘家种养家庭农场", "family_farm", "上犹县营前镇上营村"),
]
PRODUCTS = [  # seller index, name, category, specification, unit, price (fen), yearly capacity, share, households
    (0, "上犹绿茶（明前）", "tea", "250g", "罐", 16_800, 6_000, "0.10", (3, 17, 31)),
    (0, "梅水白茶", "tea", "100g", "盒", 9_800, 2_000, "0.08", (45, 59)),
    (1, "油石山茶油", "grain_oil", "5L", "桶", 39_800, 3_000, "0.06", (73, 87, 101, 115)),
    (1, "山茶油礼盒", "grain_oil", "500ml×2", "盒", 26_800, 60, "0", ()),
    (2, "营前土鸡蛋", "meat_eggs", "30枚", "箱", 4_500, 8_000, "0.12", (129, 143)),
    (2, "高山甜玉米", "vegetables", "5kg", "箱", 3_900, 5_000, "0", ()),
]
REFERENCE_PRICES = [("tea", "250g", "罐", 15_000), ("tea", "100g", "盒", 9_000), ("grain_oil", "5L", "桶", 36_000),
                    ("grain_oil", "500ml×2", "盒", 19_800), ("meat_eggs", "30枚", "箱", 4_200),
                    ("vegetables", "5kg", "箱", 3_500)]
BUDGET_UNITS = [(_code("11", "MB1XJY001"), "上犹县教育局", 60_000_000, "0.10"),
                (_code("12", "MB1YY0002"), "上犹县人民医院", 90_000_000, "0.15"),
                (_code("11", "MB1XF0003"), "上犹县人民政府办公室", 30_000_000, "0.10")]
UNION = (_code("81", "MC1GH0001"), "上犹县教育工会")


def household(n: int) -> str:
    """The demo county's n-th household number (demo_csv numbers them from 1)."""
    return f"{COUNTY}{n:08d}"


def _certify(services: Any, cid: Any, number: str, applied: date, product: bool, actor: str) -> None:
    c = services.certification
    c.county_review(COUNTY, cid, applied + timedelta(days=1), True, "材料齐全，同意", product,
                    "价格偏离参考均价，系品牌溢价，已核实" if product else "", actor)
    c.publish_notice(COUNTY, cid, applied + timedelta(days=2), actor)
    c.certify(COUNTY, cid, number, applied + timedelta(days=10), actor)


def load_consumption_demo(services: Any, actor: str = "system:demo") -> dict[str, Any]:
    """Load the story; returns the keys a demo user needs (a seller, a budget unit). Does nothing when the first
    demo seller is registered already."""
    today = services.sellers.today()
    start = today - timedelta(days=180)
    try:
        services.employment.register_organisation(COUNTY, *SELLERS[0][:3], SELLERS[0][3], actor)
    except AlreadyExists:
        return {"seller": SELLERS[0][0], "budget_unit": BUDGET_UNITS[0][0]}
    for code, name, form, address in SELLERS[1:]:
        services.employment.register_organisation(COUNTY, code, name, form, address, actor)
    for category, spec, unit, price in REFERENCE_PRICES:
        services.products.record_reference_price(COUNTY, category, spec, unit, price, start, "上犹县发改委价格监测",
                                                 actor)
    for n, (code, _, _, _) in enumerate(SELLERS):
        services.sellers.declare_linkage(code, ["procurement", "revenue_share"],
                                         "订单收购脱贫户茶青/鲜果/禽蛋，产品销售额按比例分红（三七分配）", start, actor)
        cid, _ = services.sellers.apply(code, start, actor)
        _certify(services, cid, f"上犹认定〔{start.year}〕S{n + 1:03d}", start, False, actor)
    products = []
    for n, (seller, name, category, spec, unit, price, capacity, share, households) in enumerate(PRODUCTS):
        rate = Decimal(share)
        plan = LinkagePlan(households=[PlanHousehold(household_number=household(h), weight=1 + i % 2)
                                       for i, h in enumerate(households)],
                           mechanisms=["revenue_share", "procurement"] if rate else ["procurement"],
                           revenue_share_rate=rate)
        code = SELLERS[seller][0]
        pid, _ = services.products.list_product(code, Listing(
            name=name, category=category, specification=spec, unit=unit, price_fen=price, stock=5_000,
            origin_county=COUNTY, origin_village=f"{COUNTY}10{n % 4}00{n % 9 + 1}", yearly_capacity=capacity,
            plan=plan), actor)
        applied = start + timedelta(days=12)
        cid, _ = services.products.apply(code, pid, applied, actor)
        _certify(services, cid, f"上犹认定〔{applied.year}〕P{n + 1:03d}", applied, True, actor)
        products.append((code, pid, price))
    units = []
    for code, name, budget, rate in BUDGET_UNITS:
        key, _ = services.buyers.register(COUNTY, name, "budget_unit", code, None, actor)
        services.buyers.file_share(key, today.year, "canteen", budget, Decimal(rate), None, "", actor)
        units.append(key)
    union, _ = services.buyers.register(COUNTY, UNION[1], "trade_union", UNION[0], units[0], actor)
    _channel_sales(services, products, units, today, actor)
    _orders(services, products, units, union, actor)
    _payments(services, products, today, actor)
    return {"seller": SELLERS[0][0], "budget_unit": units[0]}


def _channel_sales(services: Any, products: list[tuple[str, Any, int]], units: list[str], today: date,
                   actor: str) -> None:
    """Five months of sales on other channels, one upload per seller; the capacity of the gift box is exceeded."""
    channels = ("platform_832", "ecommerce", "counter", "offline")
    by_seller: dict[str, list[str]] = {}
    for n, (code, pid, price) in enumerate(products):
        number = services.products.detail(code, pid)["certification"]["certificate_number"]
        for month in range(5):
            for i in range(3 + (n + month) % 3):
                sold = today - timedelta(days=150 - 30 * month - 7 * i)
                quantity = 12 + (n * 7 + month * 5 + i * 3) % 25
                unit = units[(n + i) % len(units)] if i % 2 == 0 else ""
                buyer_type = "budget_unit" if unit else ("enterprise", "individual", "trade_union")[(n + i) % 3]
                tag = "east_west" if (n + i + month) % 5 == 0 else ""
                by_seller.setdefault(code, []).append(
                    f"{sold.isoformat()},{number},{quantity},{quantity * price},{channels[(n + i) % 4]},"
                    f"DEMO-{n}-{month}-{i},{buyer_type},{unit},{tag}")
    for code, rows in by_seller.items():
        content = ("sold_on,certificate_number,quantity,amount_fen,channel,reference,buyer_type,budget_unit,tag\n"
                   + "\n".join(rows) + "\n").encode()
        services.channel_sales.upload(COUNTY, code, f"demo-{code[-6:]}", content, "text/csv",
                                      parse_table(content, False, today), actor)


def _orders(services: Any, products: list[tuple[str, Any, int]], units: list[str], union: str, actor: str) -> None:
    """Platform orders placed and received today; one line refunded in part."""
    o = services.orders
    today = o.today()
    for n, (code, pid, _) in enumerate(products[:4]):
        buyer = union if n == 3 else units[n % len(units)]
        placed = o.place(buyer, f"demo-order-{n}", [(pid, 4 + n)], "designated" if n == 1 else None, actor)
        o.pay(buyer, placed.order_id, f"demo-pay-{n}", today, f"ZF-DEMO-{n}", actor)
        o.ship(code, placed.order_id, f"demo-ship-{n}", today, f"SF-DEMO-{n}", actor)
        o.receive(buyer, placed.order_id, f"demo-receive-{n}", today, actor)
        if n == 0:
            o.refund(code, placed.order_id, "demo-refund-0", 1, products[0][2], "一罐破损，退款", actor)


def _payments(services: Any, products: list[tuple[str, Any, int]], today: date, actor: str) -> None:
    """Procurement from linked households, and payouts of part of the revenue share accrued."""
    # what the seller buys from the households: tea leaves, camellia seeds (油茶籽, a forest product), pigs, vegetables
    produce = {"tea": "tea", "grain_oil": "forest_products", "meat_eggs": "meat_eggs", "vegetables": "vegetables"}
    for n, (code, pid, _) in enumerate(products):
        category, share, households = PRODUCTS[n][2], Decimal(PRODUCTS[n][7]), PRODUCTS[n][8]
        for i, h in enumerate(households):
            services.linkage.record(code, PaymentInput(
                kind="procurement", payee=household(h), amount_fen=120_000 + 10_000 * i,
                paid_on=today - timedelta(days=120 - 10 * i), reference=f"SG-{n}-{i}", produce=produce[category],
                quantity=f"{200 + 50 * i} 斤"), actor)
            if i == 0 and share > 0:
                pay_half_owed(services, code, pid, household(h), today - timedelta(days=40), f"FH-{n}-{i}", actor)


def pay_half_owed(services: Any, seller: str, product: Any, payee: str, paid_on: date, reference: str,
                  actor: str) -> None:
    """A revenue-share payout of half of what is owed (the rest stays owed). A payout is judged against the
    consumption projection caught up with the log: the demo runs no projector of its own, so it catches up first."""
    services.projector("consumption").run_until_idle()
    half = services.linkage.owed(seller, product, payee) // 2
    if half > 0:
        services.linkage.record(seller, PaymentInput(kind="revenue_share_payout", payee=payee, amount_fen=half,
                                                     paid_on=paid_on, reference=reference, product_id=product), actor)

"""A province-year of synthetic data (``xiaofei demo --scale province|small|tiny``): many counties, each with its
registered households, an employer with rural workshops (扶贫车间) reporting a year of monthly wage slips proven by
the bank statement, certified sellers and products with benefit linkage (利益联结), budget units with reserved-share
filings, channel sales (832 platform, e-commerce, 专柜), platform orders received, procurement and revenue-share
payouts.

The province scale is what a province deployment carries (DOMAIN's sizing: 50–100 counties): 50 counties,
100,000 households, 1,000,200 wage slips, 190,000 channel-sale rows and 10,000 platform orders (200,000 sales).
``small`` is a tenth (5 counties); ``tiny`` (2 counties, a few dozen households) is what the tests load.

Everything goes through the application services, as users' requests would (the household import, slip and
channel-sale uploads, orders placed, paid, shipped and received); a worker's hiring is recorded on the workshop in
one transaction per workshop, as a roster upload would. Households follow 石首市《关于全市脱贫攻坚工作情况的报告》
(2020-06-22) like the one-county demo; wages 1,500–3,200元 a month. The data is generated from fixed seeds: loading
twice finds the first county registered and adds nothing.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, TextIO
from uuid import UUID

from xiaofei.application.consumption.channel_rows import parse_table
from xiaofei.application.consumption.linkage import PaymentInput
from xiaofei.application.consumption.products import Listing
from xiaofei.application.slips import SlipRow
from xiaofei.application.tables import csv_lines
from xiaofei.demo import CATEGORIES, CAUSES, GIVEN, SUBTYPES, SURNAMES, _pick, member
from xiaofei.demo_consumption import pay_half_owed
from xiaofei.domain.codes import id_check_digit, uscc_check_char
from xiaofei.domain.consumption.products import LinkagePlan, PlanHousehold
from xiaofei.domain.employment import Employment
from xiaofei.domain.errors import AlreadyExists
from xiaofei.progress import Progress

PROVINCE = "江西省"
ACTOR = "system:demo-province"


@dataclass(frozen=True)
class Scale:
    counties: int
    households: int  # per county
    workers: int  # per county: registered working-age members first, then workers from outside the registry
    months: int  # months of wage slips, ending last month
    channel_rows: int  # per county, over the last twelve months
    orders: int  # per county, placed and received today
    workshops: int = 10  # per county; all but two are certified

    @property
    def slips(self) -> int:
        return self.counties * self.workers * self.months

    @property
    def sales(self) -> int:
        return self.counties * (self.channel_rows + self.orders)


SCALES = {
    "province": Scale(counties=50, households=2000, workers=1667, months=12, channel_rows=3800, orders=200),
    "small": Scale(counties=5, households=2000, workers=1667, months=12, channel_rows=3800, orders=200),
    "tiny": Scale(counties=2, households=40, workers=24, months=3, channel_rows=30, orders=3, workshops=3),
}


def county_codes(n: int) -> list[tuple[str, str]]:
    """(code, name) of ``n`` synthetic counties of 江西省: prefectures 3601–3611, counties 21–30 in each."""
    return [(f"36{1 + i // 10:02d}{21 + i % 10:02d}", f"演示{i + 1:02d}县") for i in range(n)]


def _id_number(rng: random.Random, county: str, born: date, male: bool, taken: set[str]) -> str:
    """A valid ID number (校验码 included) not in ``taken``; a crowded birth date moves a day earlier."""
    for attempt in itertools.count():
        if attempt and attempt % 50 == 0:
            born -= timedelta(days=1)
        first16 = f"{county}{born:%Y%m%d}{rng.randrange(0, 100):02d}"
        first17 = first16 + str(rng.randrange(0, 5) * 2 + (1 if male else 0))
        number = first17 + id_check_digit(first17)
        if number not in taken:
            taken.add(number)
            return number


def households_csv(county: str, households: int, seed: int) -> tuple[bytes, list[str]]:
    """The county's household file (the importer's Chinese headers) and the ID numbers of its working-age members
    able to work, in file order. ID numbers are unique within the county."""
    rng = random.Random(seed)
    taken: set[str] = set()
    header = ["县", "村", "户编号", "人编号", "姓名", "身份证号", "与户主关系", "劳动技能", "致贫原因", "户类型",
              "监测对象类型", "识别日期"]
    rows: list[list[object]] = []
    able: list[str] = []
    for h in range(households):
        village = f"{county}{100 + h % 10:03d}{(h // 10) % 12 + 1:03d}"
        number = household_number(county, h + 1)
        category = _pick(rng, CATEGORIES)
        subtype = rng.choice(SUBTYPES) if category == "监测对象" else ""
        cause = _pick(rng, CAUSES)
        identified = date(2014, 1, 1) + timedelta(days=rng.randrange(0, 5 * 365))
        surname = rng.choice(SURNAMES)
        size = rng.choices([1, 2, 3, 4, 5, 6], weights=[8, 20, 27, 25, 13, 7])[0]
        head_born = date(1955, 1, 1) + timedelta(days=rng.randrange(0, 40 * 365))
        for i in range(size):
            relation, born, male, age, labour = member(rng, i, head_born, cause)
            id_number = _id_number(rng, county, born, male, taken)
            if labour == "普通劳动力" and 18 <= age <= 58:
                able.append(id_number)
            given = "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2])))
            rows.append([county, village, number, f"{number}{i + 1:02d}",
                         (surname if i != 1 else rng.choice(SURNAMES)) + given, id_number, relation, labour, cause,
                         category, subtype, identified.isoformat()])
    return "".join(csv_lines(header, rows)).encode("utf-8"), able


def household_number(county: str, n: int) -> str:
    return f"{county}{n:08d}"


def _code(prefix: str, county: str, serial: str) -> str:
    body = f"{prefix}{county}{serial}"
    return body + uscc_check_char(body)


def _months(today: date, n: int) -> list[str]:
    """The ``n`` months before this one, oldest first."""
    year, month = today.year, today.month
    out = []
    for _ in range(n):
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        out.append(f"{year:04d}-{month:02d}")
    return out[::-1]


@dataclass
class Loaded:
    counties: int = 0
    households: int = 0
    workers: int = 0
    slips: int = 0
    channel_rows: int = 0
    orders: int = 0
    seconds: float = 0.0


def load_province(services: Any, scale: Scale, progress_to: TextIO | None = None,
                  clock: Callable[[], float] = time.monotonic) -> Loaded:
    """Load ``scale``'s counties one after another; a county already registered is skipped (so a second load adds
    nothing). Reports progress by county to ``progress_to``."""
    started = clock()
    loaded = Loaded()
    codes = county_codes(scale.counties)
    bar = Progress("demo: loading counties", unit="counties", stream=progress_to) if progress_to else None
    for n, (code, name) in enumerate(codes):
        try:
            services.registry.register_county(code, name, PROVINCE, ACTOR)
        except AlreadyExists:
            continue
        _county(services, scale, n, code, loaded)
        loaded.counties += 1
        if bar:
            bar.update(n + 1, len(codes))
    if bar:
        bar.finish()
    loaded.seconds = clock() - started
    return loaded


def _county(services: Any, scale: Scale, n: int, county: str, loaded: Loaded) -> None:
    content, able = households_csv(county, scale.households, seed=20201231 + n)
    result = services.importer.run(county, f"demo-{county}.csv", content, ACTOR)
    loaded.households += result.registered
    services.policy.adopt_preset(county, "shangyou-2017", None, ACTOR)
    rng = random.Random(7 + n)
    today = services.sellers.today()
    _employment(services, scale, county, able, rng, today, loaded)
    _consumption(services, scale, n, county, rng, today, loaded)


def _employment(services: Any, scale: Scale, county: str, able: list[str], rng: random.Random, today: date,
                loaded: Loaded) -> None:
    """One employer with ``scale.workshops`` workshops; each month's bank statement goes first, so that the month's
    slip upload is proven in its own transaction (a few payments are missing from the statement)."""
    employment = services.employment
    employer = _code("91", county, "MA35GY001")
    employment.register_organisation(county, employer, f"{county}振兴实业有限公司", "enterprise", "县工业园", ACTOR)
    months = _months(today, scale.months)
    first_day = date.fromisoformat(months[0] + "-01") - timedelta(days=31)
    outsiders: set[str] = set(able)
    workers = able[: scale.workers * 2 // 3]
    while len(workers) < scale.workers:  # workers from outside the county's registry
        workers.append(_id_number(rng, county, date(1970, 1, 1) + timedelta(days=rng.randrange(0, 30 * 365)),
                                  rng.random() < 0.5, outsiders))
    workshops: list[tuple[UUID, list[str]]] = []
    for w in range(scale.workshops):
        village = f"{county}{100 + w % 10:03d}{w % 12 + 1:03d}"
        workshop_id, _ = employment.register_workshop(employer, f"{county}第{w + 1}扶贫车间", "factory", village,
                                                      "村集体闲置厂房", ACTOR)
        if w < scale.workshops - 2 or scale.workshops < 3:
            employment.certify(county, workshop_id, f"就业帮扶车间-{county}-{w + 1:02d}", first_day, ACTOR)
        staff = workers[w::scale.workshops]
        workshop = employment.workshop(workshop_id, organisation=employer)
        for i, id_number in enumerate(staff):  # the roster: one transaction for the workshop
            workshop.hire(Employment(employment_id=UUID(int=rng.getrandbits(128)),
                                     id_hash=employment.protector.hash(id_number),
                                     id_masked=employment.protector.mask(id_number), name=f"工人{w + 1}-{i + 1}",
                                     contract_type="labour_contract", start=first_day, end=None, pay_form="monthly"),
                          ACTOR)
        services.app.record(workshop)
        workshops.append((workshop_id, staff))
        loaded.workers += len(staff)
    projector = services.projector("employment")  # a statement is matched against the read model of the slips before it
    try:
        for month in months:
            _month(services, employer, workshops, month, rng, today, projector, loaded)
    finally:
        projector.close()


def _month(services: Any, employer: str, workshops: list[tuple[UUID, list[str]]], month: str, rng: random.Random,
           today: date, projector: Any, loaded: Loaded) -> None:
    employment = services.employment
    pay_day = min(date.fromisoformat(f"{month}-28"), today)
    statement = ["date,amount_yuan,payee_name,payee_account,reference"]
    slips: list[SlipRow] = []
    for w, (workshop_id, staff) in enumerate(workshops):
        for i, id_number in enumerate(staff):
            gross = rng.randrange(1500, 3200) * 100
            ref = f"ZX{month.replace('-', '')}{w:02d}{i:04d}"
            slips.append(SlipRow(len(slips) + 2, workshop_id, month, id_number, gross, gross,
                                 rng.randrange(18, 27), None, pay_day, "bank", ref, "", ""))
            if rng.random() < 0.95:
                statement.append(f"{pay_day.isoformat()},{gross / 100:.2f},{id_number[-4:]},,{ref}")
    projector.run_until_idle()
    employment.upload_statement(employer, ("\n".join(statement) + "\n").encode(), ACTOR)
    for start in range(0, len(slips), 5000):  # an upload holds at most 5,000 rows
        part = slips[start:start + 5000]
        key = f"demo-{month}-{start // 5000}"
        employment.upload_slips(employer, key, key.encode(), part, ACTOR)
    loaded.slips += len(slips)


PRODUCTS = [  # seller index, name, category, specification, unit, price (fen), share of revenue, reference price
    (0, "高山绿茶", "tea", "250g", "罐", 16_800, "0.10", 15_000),
    (0, "白茶", "tea", "100g", "盒", 9_800, "0.08", 9_000),
    (1, "山茶油", "grain_oil", "5L", "桶", 39_800, "0.06", 36_000),
    (1, "山茶油礼盒", "grain_oil", "500ml×2", "盒", 26_800, "0", 19_800),
    (2, "土鸡蛋", "meat_eggs", "30枚", "箱", 4_500, "0.12", 4_200),
    (2, "甜玉米", "vegetables", "5kg", "箱", 3_900, "0", 3_500),
]
PRODUCE = {"tea": "tea", "grain_oil": "forest_products", "meat_eggs": "meat_eggs", "vegetables": "vegetables"}
"""What a seller of each category buys from its households (camellia seeds, 油茶籽, for oil: a forest product)."""


def _consumption(services: Any, scale: Scale, n: int, county: str, rng: random.Random, today: date,
                 loaded: Loaded) -> None:
    start = today - timedelta(days=350)  # certificates last a year (seller.cert_validity_months, product.cert_validity_months)
    sellers = [(_code("93", county, "MA35CHA01"), f"{county}茶叶专业合作社", "cooperative"),
               (_code("91", county, "MA35YY002"), f"{county}山茶油有限公司", "enterprise"),
               (_code("92", county, "MA35NNN03"), f"{county}种养家庭农场", "family_farm")]
    for code, name, form in sellers:
        services.employment.register_organisation(county, code, name, form, "县城", ACTOR)
    for _, _, category, spec, unit, _, _, reference in PRODUCTS:
        services.products.record_reference_price(county, category, spec, unit, reference, start, "县发改委价格监测",
                                                 ACTOR)
    for s, (code, _, _) in enumerate(sellers):
        services.sellers.declare_linkage(code, ["procurement", "revenue_share"],
                                         "订单收购脱贫户产品，销售额按比例分红（三七分配）", start, ACTOR)
        cid, _ = services.sellers.apply(code, start, ACTOR)
        _certify(services, county, cid, f"认定〔{start.year}〕S{s + 1:03d}", start, False)
    products = []
    linked = max(1, scale.households // 100)
    for p, (s, name, category, spec, unit, price, share, _) in enumerate(PRODUCTS):
        households = [household_number(county, 1 + (p * linked + i) % scale.households) for i in range(linked)]
        rate = Decimal(share)
        plan = LinkagePlan(households=[PlanHousehold(household_number=h, weight=1 + i % 2)
                                       for i, h in enumerate(households)],
                           mechanisms=["revenue_share", "procurement"] if rate else ["procurement"],
                           revenue_share_rate=rate)
        code = sellers[s][0]
        pid, _ = services.products.list_product(code, Listing(
            name=name, category=category, specification=spec, unit=unit, price_fen=price, stock=10**8,
            origin_county=county, origin_village=f"{county}10{p % 4}00{p % 9 + 1}", yearly_capacity=10**8,
            plan=plan), ACTOR)
        applied = start + timedelta(days=12)
        cid, _ = services.products.apply(code, pid, applied, ACTOR)
        number = f"认定〔{applied.year}〕P{p + 1:03d}"
        _certify(services, county, cid, number, applied, True)
        products.append((code, pid, price, number, households, category, rate))
    units = []
    for u, (prefix, kind, budget, rate) in enumerate([("11", "教育局", 60_000_000, "0.10"),
                                                       ("12", "人民医院", 90_000_000, "0.15"),
                                                       ("11", "人民政府办公室", 30_000_000, "0.10")]):
        key, _ = services.buyers.register(county, f"{county}{kind}", "budget_unit",
                                          _code(prefix, county, f"MB1YY{u:04d}"), None, ACTOR)
        services.buyers.file_share(key, today.year, "canteen", budget, Decimal(rate), None, "", ACTOR)
        units.append(key)
    sales_from = applied + timedelta(days=11)
    _channel_sales(services, scale, county, products, units, rng, sales_from, today, loaded)
    _orders(services, scale, county, products, units, loaded)
    for p, (code, pid, _, _, households, category, rate) in enumerate(products):
        for i, h in enumerate(households):
            services.linkage.record(code, PaymentInput(
                kind="procurement", payee=h, amount_fen=80_000 + 10_000 * (i % 7),
                paid_on=today - timedelta(days=20 + 11 * (i % 30)), reference=f"SG-{p}-{i}",
                produce=PRODUCE[category], quantity=f"{200 + 50 * (i % 5)} 斤"), ACTOR)
            if rate > 0 and i % 3 == 0:
                pay_half_owed(services, code, pid, h, today - timedelta(days=3), f"FH-{p}-{i}", ACTOR)



def _certify(services: Any, county: str, cid: UUID, number: str, applied: date, product: bool) -> None:
    c = services.certification
    c.county_review(county, cid, applied + timedelta(days=1), True, "材料齐全，同意", product, "", ACTOR)
    c.publish_notice(county, cid, applied + timedelta(days=2), ACTOR)
    c.certify(county, cid, number, applied + timedelta(days=10), ACTOR)


def _channel_sales(services: Any, scale: Scale, county: str, products: list[Any], units: list[str],
                   rng: random.Random, first: date, today: date, loaded: Loaded) -> None:
    """``scale.channel_rows`` sales between ``first`` and yesterday, one upload per seller and month."""
    channels = ("platform_832", "ecommerce", "counter", "offline")
    span = max(1, (today - first).days)
    uploads: dict[tuple[str, str], list[str]] = {}
    for r in range(scale.channel_rows):
        code, _, price, number, _, _, _ = products[r % len(products)]
        sold = first + timedelta(days=rng.randrange(0, span))
        quantity = rng.randrange(1, 40)
        unit = units[r % len(units)] if r % 3 == 0 else ""
        buyer_type = "budget_unit" if unit else ("enterprise", "individual", "trade_union")[r % 3]
        tag = "east_west" if r % 7 == 0 else ""
        uploads.setdefault((code, sold.strftime("%Y-%m")), []).append(
            f"{sold.isoformat()},{number},{quantity},{quantity * price},{channels[r % 4]},QD-{county}-{r},"
            f"{buyer_type},{unit},{tag}")
    for (code, month), rows in sorted(uploads.items()):
        content = ("sold_on,certificate_number,quantity,amount_fen,channel,reference,buyer_type,budget_unit,tag\n"
                   + "\n".join(rows) + "\n").encode()
        services.channel_sales.upload(county, code, f"demo-{month}-{code[-6:]}", content, "text/csv",
                                      parse_table(content, False, today), ACTOR)
        loaded.channel_rows += len(rows)


def _orders(services: Any, scale: Scale, county: str, products: list[Any], units: list[str],
            loaded: Loaded) -> None:
    """Platform orders placed, paid, shipped and received today by the county's budget units."""
    o = services.orders
    today = o.today()
    for i in range(scale.orders):
        code, pid, _, _, _, _, _ = products[i % len(products)]
        buyer = units[i % len(units)]
        placed = o.place(buyer, f"demo-{county}-{i}", [(pid, 1 + i % 5)], None, ACTOR)
        o.pay(buyer, placed.order_id, f"demo-pay-{county}-{i}", today, f"ZF-{county}-{i}", ACTOR)
        o.ship(code, placed.order_id, f"demo-ship-{county}-{i}", today, f"SF-{county}-{i}", ACTOR)
        o.receive(buyer, placed.order_id, f"demo-receive-{county}-{i}", today, ACTOR)
        loaded.orders += 1

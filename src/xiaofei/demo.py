"""A realistic demo county: 上犹县 (360724) with thousands of households, loaded through the CSV importer.

Figures follow 石首市《关于全市脱贫攻坚工作情况的报告》(2020-06-22): ~3 people per household, poverty causes led
by illness and lack of skills, almost every household exited (脱贫户) in the transition period with a few
monitored (监测对象).
The file is generated from a fixed seed, so loading the demo twice imports nothing the second time.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import date, datetime, time, timedelta

from xiaofei.application.tables import csv_lines
from xiaofei.domain.codes import id_check_digit

COUNTY = "360724"
COUNTY_NAME = "上犹县"
PROVINCE = "江西省"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚钟"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文斌辉鹏春梅金凤海燕德福"
CAUSES = [("因病", 38), ("缺技术", 20), ("因残", 14), ("缺劳力", 9), ("因学", 6), ("缺资金", 6), ("因灾", 3),
          ("交通条件落后", 2), ("自身发展动力不足", 2)]
CATEGORIES = [("脱贫户", 90), ("监测对象", 6), ("一般农户", 4)]
SUBTYPES = ["脱贫不稳定户", "边缘易致贫户", "突发严重困难户"]
TOWNSHIPS = ["东山镇", "陡水镇", "社溪镇", "营前镇", "黄埠镇", "寺下镇", "梅水乡", "油石乡", "安和乡", "双溪乡", "水岩乡",
             "平富乡", "紫阳乡", "五指峰乡"]
"""上犹县's 14 townships (6 镇, 8 乡), named on the demo's synthetic codes 360724100…113, in that order."""
VILLAGE_WORDS = ["上营", "下营", "园村", "坪岭", "石门", "龙潭", "新田", "高岭", "塘背", "水头", "湖洋", "大坪", "黄沙",
                 "长富", "竹园", "茶岭", "和平", "金盆"]
"""Village names of the demo (synthetic): the township's first character and one of these, 18 a township."""


def township_name(code: str) -> str:
    return TOWNSHIPS[int(code[6:9]) - 100]


def village_name(code: str) -> str:
    return f"{township_name(code)[0]}{VILLAGE_WORDS[int(code[9:]) - 1]}村"


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def _id_number(rng: random.Random, born: date, male: bool) -> str:
    seq = rng.randrange(0, 50) * 2 + (1 if male else 0)
    first17 = f"{COUNTY}{born:%Y%m%d}{rng.randrange(0, 10)}{seq:02d}"[:17]
    # keep the sex digit (17th) consistent with ``male``
    first17 = first17[:16] + str((int(first17[16]) // 2) * 2 + (1 if male else 0))
    return first17 + id_check_digit(first17)


def member(rng: random.Random, i: int, head_born: date, cause: str) -> tuple[str, date, bool, int, str]:
    """The household's ``i``-th member: relation to the head, birth date, sex, age in 2025 and labour skill."""
    if i == 0:
        relation, born, male = "户主", head_born, rng.random() < 0.85
    elif i == 1:
        relation, born, male = "配偶", head_born + timedelta(days=rng.randrange(-1500, 1500)), False
    else:
        relation = "子女" if i < 5 else "父母"
        born = (head_born + timedelta(days=rng.randrange(20 * 365, 35 * 365)) if relation == "子女"
                else head_born - timedelta(days=rng.randrange(20 * 365, 30 * 365)))
        born = min(born, date(2020, 12, 31))
        male = rng.random() < 0.5
    age = 2025 - born.year
    labour = ("无劳动力" if age < 16 or age > 75 else "弱劳动力" if age > 60 or cause == "因残" and i == 0
              else "普通劳动力")
    return relation, born, male, age, labour


def demo_csv(households: int = 3000, seed: int = 20201231) -> bytes:
    rng = random.Random(seed)
    townships = 14
    header = ["县", "村", "户编号", "人编号", "姓名", "身份证号", "与户主关系", "劳动技能", "致贫原因", "户类型",
              "监测对象类型", "识别日期", "乡镇", "村名称"]
    rows: list[list[object]] = []
    person = 0
    for h in range(households):
        township = 100 + (h % townships)
        village = f"{COUNTY}{township:03d}{(h // townships) % 18 + 1:03d}"
        number = f"{COUNTY}{h + 1:08d}"
        category = _pick(rng, CATEGORIES)
        subtype = rng.choice(SUBTYPES) if category == "监测对象" else ""
        cause = _pick(rng, CAUSES)
        identified = date(2014, 1, 1) + timedelta(days=rng.randrange(0, 5 * 365))
        surname = rng.choice(SURNAMES)
        size = rng.choices([1, 2, 3, 4, 5, 6], weights=[8, 20, 27, 25, 13, 7])[0]
        head_born = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 45 * 365))
        for i in range(size):
            person += 1
            relation, born, male, age, labour = member(rng, i, head_born, cause)
            given = "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2])))
            rows.append([COUNTY, village, number, f"{number}{i + 1:02d}", surname + given if i != 1 else
                         rng.choice(SURNAMES) + given, _id_number(rng, born, male), relation, labour, cause, category,
                         subtype, identified.isoformat(), township_name(village), village_name(village)])
    return "".join(csv_lines(header, rows)).encode("utf-8")


DEMO_EMPLOYER = "91360724MA35DEM0"  # + check character, see demo_employer_code()
WORKSHOP_NAMES = ["东山服饰扶贫车间", "营前电子扶贫车间", "梅水竹编扶贫车间", "社溪茶叶扶贫车间", "油石鞋帽扶贫车间",
                  "双溪玩具扶贫车间", "平富家居扶贫车间", "紫阳灯饰扶贫车间"]
SLIP_MONTHS = 6
"""Months of wage slips, ending with the current one: the page opens on the current year, so its last months have
slips whatever day the demo is loaded (in January the first five fall in the year before, and the workers of this
month still count three consecutive months)."""


def demo_months(today: date, n: int = SLIP_MONTHS) -> list[str]:
    """The ``n`` months ending with ``today``'s, oldest first."""
    months, year, month = [], today.year, today.month
    for _ in range(n):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def pay_day(month: str, today: date) -> date:
    """The 28th of ``month``, or today in the current month before the 28th (a wage is never paid in the future)."""
    return min(date.fromisoformat(f"{month}-28"), today)


def demo_employer_code() -> str:
    from xiaofei.domain.codes import uscc_check_char

    first17 = (DEMO_EMPLOYER + "0")[:17]
    return first17 + uscc_check_char(first17)


def demo_workers(per_workshop: int = 14) -> list[list[tuple[str, str]]]:
    """(name, ID number) of working-age registry members of the demo county, grouped by workshop."""
    rows = list(csv.reader(io.StringIO(demo_csv().decode("utf-8-sig"))))[1:]
    able = [(r[4], r[5]) for r in rows if r[7] == "普通劳动力" and 1965 <= int(r[5][6:10]) <= 2000]
    return [able[i * per_workshop:(i + 1) * per_workshop] for i in range(len(WORKSHOP_NAMES))]


def load_employment_demo(services, actor: str = "system:demo", progress_to=None) -> str:  # noqa: ANN001
    """An enterprise with eight workshops, six of them certified, six months of slips ending this month (Asia/Shanghai),
    most proven by the bank; the workers were hired the month before. Returns the employer's credit code. Does nothing
    when the demo employer exists already."""
    from uuid import UUID

    from xiaofei.application.slips import SlipRow
    from xiaofei.domain.errors import AlreadyExists

    code = demo_employer_code()
    try:
        services.employment.register_organisation(COUNTY, code, "上犹县振兴实业有限公司", "enterprise",
                                                  "上犹县东山镇工业园", actor)
    except AlreadyExists:
        return code
    services.policy.adopt_preset(COUNTY, "shangyou-2017", None, actor)
    today = services.claims.today()
    months = demo_months(today)
    first_day = date.fromisoformat(f"{months[0]}-01")
    hired = (first_day - timedelta(days=1)).replace(day=1)
    slips: list[SlipRow] = []
    statement = ["date,amount_yuan,payee_name,payee_account,reference"]
    rng = random.Random(7)
    for w, (name, workers) in enumerate(zip(WORKSHOP_NAMES, demo_workers(), strict=True)):
        village = f"{COUNTY}{100 + w % 14:03d}{w % 18 + 1:03d}"
        workshop, _ = services.employment.register_workshop(code, name, "factory", village, "村集体闲置厂房", actor)
        for person, id_number in workers:
            services.employment.hire(code, workshop, person, id_number, "labour_contract", hired, None, "monthly",
                                     actor)
        if w < 6:
            services.employment.certify(COUNTY, workshop, f"赣州就业帮扶车间-{w + 101}", first_day, actor)
        for month in months:
            paid = pay_day(month, today)
            for i, (_, id_number) in enumerate(workers):
                gross = rng.randrange(1500, 3200) * 100
                ref = f"ZX{month.replace('-', '')}{w:02d}{i:03d}"
                slips.append(SlipRow(len(slips) + 2, UUID(str(workshop)), month, id_number, gross, gross,
                                     rng.randrange(18, 27), None, paid, "bank", ref, "", ""))
                if rng.random() < 0.93:  # a few payments are missing from the statement: unmatched slips
                    statement.append(f"{paid.isoformat()},{gross / 100:.2f},{id_number[-4:]},,{ref}")
    services.employment.upload_slips(code, "demo-upload-1", b"demo-upload-1", slips, actor)
    services.catch_up(progress_to)  # the statement's matching reads the employment read model up to its own position
    services.employment.upload_statement(code, ("\n".join(statement) + "\n").encode(), actor)
    services.catch_up(progress_to)  # a claim is filed against the entitlements of the verified slips
    pay_a_claim(services, code, today, actor)
    return code


def pay_a_claim(services, employer: str, today: date, actor: str) -> None:  # noqa: ANN001
    """The employer's subsidy claim of the latest (up to three) slip months over before it was filed, paid today.

    The rules of the notice (公示) are kept: filed, reviewed and published on day F = today − (N + 1), where N is
    ``claim.notice_days`` in force; the notice runs through F + N, so the claim is approved on F + N + 1 = today and
    paid today. Nothing is dated in the future: the steps of day F are recorded by a claims service whose clock is
    on day F (as if the official had done them then)."""
    from xiaofei.application.claims import ClaimService
    from xiaofei.domain.clock import SHANGHAI
    from xiaofei.rules.parameters import in_force

    notice_days = in_force(services.policy.versions_for(COUNTY), "claim.notice_days", COUNTY, today).typed()
    filed_on = today - timedelta(days=notice_days + 1)
    instant = datetime.combine(filed_on, time(10), SHANGHAI)
    then = ClaimService(services.app, services.params, services.policy, read_wait_seconds=30.0,
                        clock=lambda: instant)
    over = [m for m in demo_months(today) if m < f"{filed_on:%Y-%m}"][-3:]
    claim, _ = then.file(employer, COUNTY, over[0], over[-1], actor)
    then.start_review(COUNTY, claim.id, actor)
    then.finish_review(COUNTY, claim.id, actor)
    then.publish_notice(COUNTY, claim.id, filed_on, actor)
    services.claims.approve(COUNTY, claim.id, filed_on + timedelta(days=notice_days + 1), actor)
    payees = sorted(p for p, fen in claim.payable().items() if fen > 0)
    services.claims.pay(COUNTY, claim.id, today, {p: f"GK-DEMO-{n + 1:04d}" for n, p in enumerate(payees)}, actor)


MONITORING_LINES = [  # (parameter, fen per person and year, source)
    ("monitoring.poverty_line_fen", 400_000,
     "《人类减贫的中国实践》白皮书：现行标准2010年不变价每人每年2,300元，2020年现价约4,000元（国务院扶贫办主任刘永富）"
     "；演示数据，江西省逐年标准以省文件为准"),
    ("monitoring.threshold_fen", 870_000,
     "参照云南省2025年防止返贫监测范围每人每年8,700元（云农办通〔2025〕1号）；演示数据，江西省监测范围以省文件为准"),
]


def set_monitoring_lines(services, today: date, actor: str = "system:demo") -> None:  # noqa: ANN001
    """The province's poverty line and monitoring threshold for the demo year (from 1 January, read on the year's
    last day), each with its source, so the county's flagged-household list has households in it."""
    province = COUNTY[:2] + "0000"
    in_force_now = {v.name for v in services.policy.versions_for(COUNTY) if v.scope == province}
    for name, fen, source in MONITORING_LINES:
        if name not in in_force_now:
            services.policy.record_parameter(province, name, str(fen), date(today.year, 1, 1), None, source, None,
                                             actor)

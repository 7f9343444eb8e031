"""A realistic demo county: 上犹县 (360724) with thousands of households, loaded through the CSV importer.

Figures follow DOMAIN §8 and seed 004: ~3 people per household, poverty causes led by illness and lack of
skills, almost every household exited (脱贫户) in the transition period with a few monitored (监测对象).
The file is generated from a fixed seed, so loading the demo twice imports nothing the second time.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import date, timedelta

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


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def _id_number(rng: random.Random, born: date, male: bool) -> str:
    seq = rng.randrange(0, 50) * 2 + (1 if male else 0)
    first17 = f"{COUNTY}{born:%Y%m%d}{rng.randrange(0, 10)}{seq:02d}"[:17]
    # keep the sex digit (17th) consistent with ``male``
    first17 = first17[:16] + str((int(first17[16]) // 2) * 2 + (1 if male else 0))
    return first17 + id_check_digit(first17)


def demo_csv(households: int = 3000, seed: int = 20201231) -> bytes:
    rng = random.Random(seed)
    townships = 14
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["县", "村", "户编号", "人编号", "姓名", "身份证号", "与户主关系", "劳动技能", "致贫原因", "户类型",
                "监测对象类型", "识别日期"])
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
            given = "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2])))
            w.writerow([COUNTY, village, number, f"{number}{i + 1:02d}", surname + given if i != 1 else
                        rng.choice(SURNAMES) + given, _id_number(rng, born, male), relation, labour, cause, category,
                        subtype, identified.isoformat()])
    return out.getvalue().encode("utf-8")

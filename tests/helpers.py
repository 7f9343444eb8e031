"""Builders for test data: valid ID numbers and household payloads."""

from __future__ import annotations

import csv
import io
from typing import Any

from xiaofei.domain.codes import id_check_digit


def id_number(county: str, serial: int, born: str = "19800101", male: bool = True) -> str:
    seq = f"{serial % 100:02d}"
    sex = (serial // 100 % 5) * 2 + (1 if male else 0)
    first17 = f"{county}{born}{seq}{sex}"
    return first17 + id_check_digit(first17)


def household_payload(county: str, number: str, *, members: int = 2, category: str = "exited",
                      village: str | None = None, serial: int = 0) -> dict[str, Any]:
    village = village or f"{county}100001"
    people = []
    for i in range(members):
        people.append({
            "person_number": f"{number}{i + 1:02d}",
            "name": f"成员{i + 1}",
            "id_number": id_number(county, serial * 10 + i, born=f"19{60 + i}0101", male=i % 2 == 0),
            "relation": "head" if i == 0 else "spouse" if i == 1 else "child",
            "labour_capacity": "normal",
        })
    return {"household_number": number, "village_code": village, "category": category,
            "subtype": None, "causes": ["illness"], "members": people, "effective_date": "2016-03-01"}


HEADER = ["县", "村", "户编号", "人编号", "姓名", "身份证号", "与户主关系", "劳动技能", "致贫原因", "户类型", "识别日期"]
IDENTIFIED = "2014-01-01"
"""The 识别日期 of every household the builders write: early, so any month a test uses finds the category in force."""


def households_csv(county: str, count: int, *, start: int = 0, villages: int = 10, members: int = 2) -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(HEADER)
    for h in range(start, start + count):
        number = f"{county}H{h:07d}"
        village = f"{county}100{h % villages + 1:03d}"
        for i in range(members):
            w.writerow([county, village, number, f"{number}{i + 1:02d}", f"姓名{h}-{i}",
                        id_number(county, h * members + i, born=f"19{70 + i}0{i % 9 + 1}15"),
                        "户主" if i == 0 else "配偶" if i == 1 else "子女", "普通劳动力", "因病", "脱贫户", IDENTIFIED])
    return out.getvalue().encode("utf-8")

"""Policy parameters: the catalogue (with bounds and sources), named presets, and the lookup rule.

Every numeric rule is a parameter, never a constant in code. A parameter version has a scope (national,
province ``xx0000``, city ``xxxx00`` or county ``xxxxxx``), ``effective_from``, an optional inclusive
``effective_to``, a source (the policy document it comes from) and an era.

Lookup (``in_force``): among the versions that cover the date (``effective_from`` ≤ date ≤ ``effective_to``), the
most specific scope wins (county > city > province > national > built-in default); within that scope, the version
with the latest ``effective_from`` wins, and on equal ``effective_from`` the one recorded later (higher ``seq``).
A stored version whose value no longer satisfies the catalogue (recorded before the bounds existed, e.g. a wage
rate of 20) is never in force: the lookup passes over it as if it had not been recorded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from xiaofei.domain.consumption.categories import CATEGORIES, COST_CLASSES
from xiaofei.domain.errors import InvalidInput, invalid

ERAS = ("campaign", "transition")  # 攻坚期 2013–2020 / 过渡期 2021–
ERA_SPANS: dict[str, tuple[date, date | None]] = {
    "campaign": (date(2013, 1, 1), date(2020, 12, 31)),
    "transition": (date(2021, 1, 1), None),
}


def era_on(day: date) -> str:
    return "campaign" if day <= ERA_SPANS["campaign"][1] else "transition"  # type: ignore[operator]


def overlaps_era(era: str, start: date, end: date | None) -> bool:
    """Whether a version from ``start`` to ``end`` (inclusive, open when None) falls at least partly in ``era``."""
    era_start, era_end = ERA_SPANS[era]
    return (era_end is None or start <= era_end) and (end is None or end >= era_start)


# -- the documents values come from (titles and numbers as the policy sources survey found them) ---------------------

GANZHOU = ("赣州市“就业扶贫车间”经验材料（上犹县、大余县做法；收入好期刊《村脱贫攻坚实施方案》范文汇编，"
           "2022-04-02）")
JILIN = "吉人社联字〔2018〕20号（吉林扶贫车间认定与一次性奖补，有效期2018-01-01至2020-12-31）"
GANSU = "新华社2018年8月3日电：甘肃省扶贫车间认定标准"
SHEQU = "陕西社区工厂扶持政策（“四支队伍”政策解读：场地租赁费、水电费补贴）"
LABOUR_LAW = "《中华人民共和国劳动法》第十五条（禁止招用未满十六周岁的未成年人）"
CHUXIONG = "楚雄州建档立卡贫困户收入明白卡：生产经营性支出按粮食40%、烟叶45%、畜禽40%、林果15%、其他作物40%扣除"
MONITORING_LINES = ("省级防止返贫监测范围按年确定，如云南省2025年8,700元（云农办通〔2025〕1号）、福建闽侯县2023年10,560元"
                    "（闽振兴函〔2023〕8号）；全国统一标准未查到，须由省（县）记录")


@dataclass(frozen=True)
class ParameterDef:
    name: str
    kind: str  # int | fen | decimal | categories | optional-int | optional-fen | optional-decimal
    default: str
    default_source: str
    description: str
    minimum: str | None = None  # inclusive bounds of a numeric value; None for categories
    maximum: str | None = None
    bounds_reason: str = ""


def _p(name: str, kind: str, default: str, source: str, description: str,
       bounds: tuple[str, str, str] | None = None) -> ParameterDef:
    low, high, reason = bounds if bounds else (None, None, "")
    return ParameterDef(name, kind, default, source, description, low, high, reason)


SHARE = ("0", "1", "a share: 0–1")
FEN_MONTH = ("0", "1000000", "fen ≥ 0, at most 10,000元 a month (no source pays more than 2,000元)")

CATALOGUE: dict[str, ParameterDef] = {p.name: p for p in (
    _p("workshop.min_poor_workers", "int", "10", f"{GANZHOU}：上犹县吸纳贫困劳动力10人集中就业3个月以上",
       "eligible poor workers needed for certification (扶贫车间认定)",
       ("1", "1000", "at least 1 (0 would certify any workshop); sources ask 3–10")),
    _p("workshop.min_employment_months", "int", "3", f"{GANZHOU}：上犹县吸纳贫困劳动力10人集中就业3个月以上",
       "consecutive months each of those workers must have been employed",
       ("1", "12", "1–12 months: sources ask 3, 6 or 12, and a change reaches back at most 12 months")),
    _p("workshop.min_poor_share", "optional-decimal", "", f"{GANSU}（或占职工总数20%以上；默认不启用）",
       "alternatively, eligible poor workers as a share of all staff (OR with the count)", SHARE),
    _p("workshop.min_monthly_wage_fen", "optional-fen", "", f"{JILIN}：工资不低于当地最低工资标准（默认不启用）",
       "a worker-month counts towards certification only with at least this gross pay (and a bank-verified slip)", FEN_MONTH),
    _p("subsidy.worker_wage_rate", "decimal", "0.20", f"{GANZHOU}：上犹县月工资600元补助120元",
       "worker wage subsidy (工资补贴) as a share of a verified slip's gross pay", SHARE),
    _p("subsidy.worker_wage_cap_fen", "optional-fen", "", f"{GANZHOU}：上犹县未规定补贴上限",
       "monthly cap on a worker's wage subsidy: per worker and month across all their bank-verified slips in the county; when it binds it is shared between the slips in proportion, largest remainder", FEN_MONTH),
    _p("subsidy.worker_min_days", "optional-int", "", f"{GANZHOU}：上犹县未规定出勤天数",
       "days worked the worker's month must total, across all their bank-verified slips in the county", ("0", "31", "days in a month: 0–31")),
    _p("subsidy.worker_wage_floor_fen", "optional-fen", "", f"{GANZHOU}：上犹县未规定工资下限",
       "gross pay the worker's month must total, across all their bank-verified slips in the county, for any wage subsidy", FEN_MONTH),
    _p("subsidy.employer_match_ratio", "decimal", "1.0", f"{GANZHOU}：上犹县对企业给予等额配套补助",
       "employer matching subsidy as a multiple of the worker subsidy",
       ("0", "1", "0–1: at most equal matching (等额配套), the highest any source pays")),
    _p("subsidy.hiring_award_fen", "fen", "100000", f"{JILIN}：一次性奖补1,000元/人", "one-time hiring award (一次性奖补): once per person, county and era; read on the hire date",
       ("0", "1000000", "fen ≥ 0, at most 10,000元 a person (sources pay 300–5,000元)")),
    _p("subsidy.hiring_min_months", "int", "6", f"{JILIN}：签订6个月以上劳动合同并累计工作6个月以上",
       "consecutive eligible (verified) months with one employer that earn the award, read on the hire date; months counted towards one award never count towards another, so one employment across the 2020/2021 era boundary cannot earn two awards from overlapping windows",
       ("1", "36", "1–36 months (sources ask 3, 6 or 12)")),
    _p("subsidy.hiring_min_pay_total_fen", "fen", "600000",
       "一次性带动就业奖补政策问答（发文机关未核实）：1年内工作6个月以上且累计支付工资6,000元以上",
       "total gross pay over those months, read on the hire date",
       ("0", "36000000", "fen ≥ 0, at most 36 months × 10,000元")),
    _p("subsidy.hiring_cap_per_workshop_fen", "fen", "5000000", f"{JILIN}：每个扶贫车间奖补最高5万元",
       "cap on hiring awards per workshop, read on the last day of the award's month; awards count against it in month order",
       ("0", "100000000", "fen ≥ 0, at most 1,000,000元 (甘肃 workshop awards reach 600,000元)")),
    _p("subsidy.training_fen", "fen", "30000", f"{GANZHOU}：大余县企业每培训1人政府贴补培训费300元",
       "training subsidy (培训补贴) per eligible trainee, once per person per year",
       ("0", "1000000", "fen ≥ 0, at most 10,000元 a trainee (sources pay 300–3,000元)")),
    _p("subsidy.rent_ratio", "decimal", "0.5", f"{SHEQU}：按实际支出的50%补贴", "share of evidenced rent & utilities",
       SHARE),
    _p("subsidy.rent_min_poor_share", "decimal", "0.3333", f"{SHEQU}：贫困劳动力占职工总数1/3以上",
       "poor workers' share of staff needed for the rent subsidy", SHARE),
    _p("subsidy.rent_months", "int", "24", f"{SHEQU}：补贴期限2年", "months after the first certification the rent subsidy runs (a gap between certification periods does not stop the clock)",
       ("0", "60", "0–60 months (sources: 2 or 3 years)")),
    _p("worker.eligible_categories", "categories", "poor,exited,monitored",
       "过渡期就业帮扶对象：建档立卡贫困人口、脱贫人口（含防止返贫监测对象），见柳江区就业帮扶车间认定条件",
       "household categories whose members count as eligible workers"),
    _p("worker.min_age", "int", "16", f"{JILIN}：劳动年龄16周岁以上", "youngest eligible age on the month's first day",
       ("16", "70", f"16–70 years: {LABOUR_LAW}")),
    _p("worker.max_age_male", "int", "60", f"{JILIN}：男性劳动年龄16–60周岁", "oldest eligible age for men",
       ("16", "70", "16–70 years")),
    _p("worker.max_age_female", "int", "55", f"{JILIN}：女性劳动年龄16–55周岁", "oldest eligible age for women",
       ("16", "70", "16–70 years")),
    _p("claim.notice_days", "int", "7",
       "城口县以工代赈劳务报酬按月公示7天；贫困退出程序公示不少于7天（落实厅字〔2016〕16号《关于建立贫困退出机制的意见》）",
       "public notice days before approval",
       ("1", "60", "1–60 days: the public notice (公示) cannot be skipped; sources ask 7")),
    _p("claim.max_period_months", "int", "3",
       "以工代赈劳务报酬按月发放、光伏扶贫收益按季度结算（申报周期：一个月或一个季度）；龙井市2018年扶贫车间奖补"
       "“年底进行统一奖补”，县可按半年或全年批量申报",
       "the longest period one claim may cover, in months (月/季/半年/年度申报, claim cycle), read for the "
       "organisation's county on the first day of the claim's first month",
       ("1", "12", "1–12 months: a month up to a year-end batch (龙井); a claim never spans more than a year")),
    _p("bank.match_window_days", "int", "3", "系统默认值（无政策文件规定）：发薪日与银行入账日通常相差不超过3天",
       "payee + amount matching tolerance in days", ("0", "31", "0–31 days")),
    _p("certification.notice_days", "int", "7",
       "商南县扶贫产品认定：县级审定后公示；贫困退出程序公示不少于7天（厅字〔2016〕16号）",
       "public notice (公示) days before a seller or product is certified",
       ("1", "60", "1–60 days: the public notice cannot be skipped; sources ask 7")),
    _p("certification.township_review", "int", "0",
       "商南县：主体申请 → 镇办初审 → 县级审定（乡镇初审由各县自定，默认不启用）",
       "1 when applications pass a township review (乡镇初审) before the county review, 0 when they go straight to "
       "the county", ("0", "1", "0 (no township review) or 1")),
    _p("seller.cert_validity_months", "int", "12", "荆州市2020年扶贫产品认定：认定结果实行年度复核",
       "months a seller's certificate is valid from certification", ("1", "60", "1–60 months")),
    _p("product.cert_validity_months", "int", "12", "荆州市2020年扶贫产品认定：认定结果实行年度复核",
       "months a product's certificate is valid from certification (then the annual review)",
       ("1", "60", "1–60 months")),
    _p("product.price_band_pct", "decimal", "0.20",
       "国务院扶贫办等《关于开展消费扶贫行动的通知》：扶贫产品价格参照同规格同品质产品平均价（偏离幅度由县确定，默认20%）",
       "how far a product's price may be from the county's reference price before the official must acknowledge it",
       ("0", "1", "a share: 0–1")),
    _p("purchase.reserved_share_min", "decimal", "0.10",
       "财政部 国家乡村振兴局《关于运用政府采购政策支持乡村产业振兴的通知》（财库〔2021〕19号）：预留比例原则上不低于10%",
       "least reserved share of a budget unit's yearly canteen food budget (provinces set 0.15–0.30)",
       ("0", "1", "a share: 0–1")),
    _p("linkage.collective_share", "decimal", "0.30", "陕西柞水县2019年“夏季攻势”方案：“六型联结、三七分配”（产业收益70%用于贫困户分红、30%用于村集体）",
       "the village collective's part of a product's revenue-share pool; the rest goes to the linked households",
       ("0", "1", "a share: 0–1")),
    _p("linkage.owed_flag_days", "int", "90", "系统默认值（无政策文件规定）：收益分红应在应计后一个季度内兑付",
       "days after the end of the month it accrued in that revenue share may stay unpaid before it is flagged",
       ("1", "730", "1–730 days")),
    *(_p(f"income.cost_ratio.{cost}", "decimal", ratio, CHUXIONG,
         f"operating cost (生产经营性支出) of the cost class {COST_CLASSES[cost]} deducted from a procurement of "
         + ", ".join(f"{code} ({c.label})" for code, c in CATEGORIES.items() if c.cost_class == cost)
         + ", as a share of its amount; read on the payment date", SHARE)
      for cost, ratio in (("grain", "0.40"), ("tobacco", "0.45"), ("livestock", "0.40"), ("forest_fruit", "0.15"),
                          ("other_crops", "0.40"))),
    _p("monitoring.poverty_line_fen", "optional-fen", "",
       "《人类减贫的中国实践》白皮书：现行标准为2010年不变价每人每年2,300元；逐年现价标准未查到，须由省记录（默认不启用）",
       "poverty line (贫困线) in fen per person and year, read on the year's last day; households below it are flagged "
       "below_poverty_line", ("0", "10000000", "fen ≥ 0, at most 100,000元 a person and year")),
    _p("monitoring.threshold_fen", "optional-fen", "", MONITORING_LINES,
       "monitoring threshold (防返贫监测范围) in fen per person and year, read on the year's last day; households "
       "below it are flagged below_monitoring_threshold", ("0", "10000000", "fen ≥ 0, at most 100,000元 a person and year")),
    _p("monitoring.sudden_drop_pct", "decimal", "0.30",
       "安徽2020年监测范围：人均可支配收入低于国家扶贫标准1.5倍，或收入骤减（人民日报2020-06-30转载；降幅系统默认30%）",
       "how far a household's platform income of the year's latest 3 whole months that have closed must fall "
       "against the same months a year earlier to flag sudden_drop (收入骤减)", SHARE),
)}


DECIMAL_PLACES = 6
_WHOLE = re.compile(r"-?[0-9]{1,12}")
_DECIMAL = re.compile(r"-?[0-9]{1,12}(\.[0-9]{1,%d})?" % DECIMAL_PLACES)
"""Plain ASCII digits only: no exponent (``1e-999999`` is a number no ``numeric`` column can hold), no ``_``
separators, no other scripts' digits, at most 12 whole digits and 6 decimal places."""


def _bound(kind: str, text: str) -> int | Decimal:
    return int(text) if kind in ("int", "fen") else Decimal(text)


@lru_cache(maxsize=4096)
def parse_value(name: str, text: str) -> Any:
    """The typed value of a parameter version, or ``InvalidInput`` naming what is wrong."""
    definition = CATALOGUE.get(name)
    if definition is None:
        raise invalid("name", f"unknown parameter {name!r}")
    kind = definition.kind
    text = text.strip()
    if kind.startswith("optional-"):
        if text == "":
            return None
        kind = kind.removeprefix("optional-")
    value: Any
    try:
        if kind in ("int", "fen"):
            if not _WHOLE.fullmatch(text):
                raise ValueError
            value = int(text)
        elif kind == "decimal":
            if not _DECIMAL.fullmatch(text):
                raise invalid("value", f"{text[:40]!r} is not a valid decimal for {name}: write plain digits with at "
                                       f"most {DECIMAL_PLACES} decimal places and no exponent, e.g. \"0.15\"")
            value = Decimal(text)
        elif kind == "categories":
            values = tuple(v.strip() for v in text.split(",") if v.strip())
            allowed = {"poor", "exited", "monitored", "ordinary"}
            if not values or not set(values) <= allowed:
                raise ValueError
            return values
        else:
            raise AssertionError(kind)
    except (ValueError, InvalidOperation):
        raise invalid("value", f"{text[:40]!r} is not a valid {definition.kind} for {name}") from None
    low = _bound(kind, definition.minimum) if definition.minimum is not None else None
    high = _bound(kind, definition.maximum) if definition.maximum is not None else None
    if (low is not None and value < low) or (high is not None and value > high):
        raise invalid("value", f"{text} is out of bounds for {name}: must be between {definition.minimum} and "
                               f"{definition.maximum} ({definition.bounds_reason})")
    return value


@lru_cache(maxsize=4096)
def acceptable(name: str, text: str) -> bool:
    """Whether a (possibly old, stored) value satisfies today's catalogue."""
    try:
        parse_value(name, text)
    except InvalidInput:
        return False
    return True


@dataclass(frozen=True)
class ParameterVersion:
    name: str
    value: str
    scope: str  # "national", or a 6-digit code: xx0000 province, xxxx00 city, xxxxxx county
    effective_from: date
    effective_to: date | None
    source: str
    era: str
    seq: int  # order recorded within its scope; built-in defaults are 0

    def covers(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)

    def typed(self) -> Any:
        return parse_value(self.name, self.value)


def scope_chain(county: str) -> list[str]:
    """Most specific first: county, city, province, national."""
    chain = [county]
    if county[4:] != "00":
        chain.append(county[:4] + "00")
    if county[2:] != "0000":
        chain.append(county[:2] + "0000")
    chain.append("national")
    return list(dict.fromkeys(chain))


@lru_cache(maxsize=1)
def _builtin() -> dict[str, ParameterVersion]:
    return {p.name: ParameterVersion(p.name, p.default, "national", date(2013, 1, 1), None,
                                     f"built-in default: {p.default_source}", "campaign", 0)
            for p in CATALOGUE.values()}


def builtin_defaults() -> list[ParameterVersion]:
    return list(_builtin().values())


def _pick(candidates: list[ParameterVersion], chain: list[str], on: date) -> ParameterVersion | None:
    """Most specific scope first; within it the latest ``effective_from``, then the latest recorded."""
    best: ParameterVersion | None = None
    best_key: tuple[int, date, int] | None = None
    for v in candidates:
        if v.scope not in chain or not v.covers(on) or not acceptable(v.name, v.value):
            continue
        key = (-chain.index(v.scope), v.effective_from, v.seq)
        if best_key is None or key > best_key:
            best, best_key = v, key
    return best


def in_force(versions: list[ParameterVersion], name: str, county: str, on: date) -> ParameterVersion:
    """The version of ``name`` in force for ``county`` on ``on`` (built-in default when nothing recorded)."""
    if name not in CATALOGUE:
        raise KeyError(name)
    return _pick([v for v in versions if v.name == name], scope_chain(county), on) or _builtin()[name]


def all_in_force(versions: list[ParameterVersion], county: str, on: date) -> dict[str, ParameterVersion]:
    chain = scope_chain(county)
    by_name: dict[str, list[ParameterVersion]] = {}
    for v in versions:
        by_name.setdefault(v.name, []).append(v)
    return {name: _pick(by_name.get(name, []), chain, on) or default for name, default in _builtin().items()}


# -- presets ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    source: str
    era: str
    effective_from: date
    effective_to: date | None
    values: dict[str, str]
    requires: tuple[str, ...] = ()
    """Parameters the preset's rules read but whose value is local (a county's own minimum wage): a county must
    have them in force before it adopts the preset, or the rule would silently not apply."""


PRESETS: dict[str, Preset] = {p.name: p for p in (
    Preset("shangyou-2017", "上犹县 就业扶贫福利厂",
           f"{GANZHOU}：上犹县吸纳贫困劳动力10人集中就业3个月以上，工资补贴为工资的20%并对企业等额配套；"
           "大余县培训费300元/人", "campaign", date(2017, 1, 1), None, {
               "workshop.min_poor_workers": "10",
               "workshop.min_employment_months": "3",
               "subsidy.worker_wage_rate": "0.20",
               "subsidy.employer_match_ratio": "1.0",
               "subsidy.training_fen": "30000",
               "worker.eligible_categories": "poor,exited,monitored",
           }),
    Preset("jilin-2018", "吉林 扶贫车间 (吉人社联字〔2018〕20号)", JILIN,
           "campaign", date(2018, 1, 1), date(2020, 12, 31), {
               "workshop.min_poor_workers": "5",
               "workshop.min_employment_months": "6",
               "subsidy.hiring_award_fen": "100000",
               "subsidy.hiring_min_months": "6",
               "subsidy.hiring_cap_per_workshop_fen": "5000000",
               "worker.eligible_categories": "poor",
               "worker.min_age": "16",
               "worker.max_age_male": "60",
               "worker.max_age_female": "55",
           }, requires=("workshop.min_monthly_wage_fen",)),
    Preset("gansu-2018", "甘肃 扶贫车间 (新华社 2018-08)",
           f"{GANSU}：吸纳建档立卡贫困劳动力10人以上或占职工总数20%以上，签订6个月以上劳动合同",
           "campaign", date(2018, 8, 1), None, {
               "workshop.min_poor_workers": "10",
               "workshop.min_poor_share": "0.20",
               "workshop.min_employment_months": "6",
           }),
)}

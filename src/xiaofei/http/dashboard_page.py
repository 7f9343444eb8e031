"""The dashboard web page (县级看板, ``/dashboard``): server-rendered HTML whose every label, card, chart and
table column comes from here, Chinese first with English beside it; the figures are filled in by the page's
script from the JSON reads, with the token the user types (kept in sessionStorage, sent as a Bearer header,
never in a URL). The page and its scripts are public; every figure behind them is the API's, so access control
stays the API's. Its scripts are served from the package (ECharts vendored in ``static/echarts``, see its
README): the page loads nothing from another host and works offline."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from html import escape
from pathlib import Path
from string import Template

from litestar import Controller, Response, get
from litestar.datastructures import CacheControlHeader
from litestar.router import Router
from litestar.static_files import create_static_files_router

from xiaofei.domain.clock import business_today
from xiaofei.domain.registry import OTHER_INCOME_TYPES
from xiaofei.http.auth import public

HERE = Path(__file__).resolve().parent
ECHARTS_DIR = HERE / "static" / "echarts"
PAGE_DIR = HERE / "static" / "dashboard"
TEMPLATE = HERE / "templates" / "dashboard.html"
FAVICON = PAGE_DIR / "favicon.ico"
"""32×32, the page's accent red with three white bars; what a browser asks /favicon.ico for on every page."""
YEARS_SHOWN = 6

Label = tuple[str, str]
L: dict[str, Label] = {
    "title": ("消费帮扶·就业帮扶 县级看板", "County dashboard"),
    "county": ("县", "County"), "year": ("年度", "Year"), "logout": ("退出", "Log out"),
    "login": ("登录", "Log in"), "token": ("访问令牌", "Access token"), "login_button": ("登录", "Log in"),
    "token_hint": ("令牌仅保存在本浏览器标签页（sessionStorage），以 Bearer 方式发送给接口，不会出现在网址中。",
                   "The token stays in this browser tab (sessionStorage) and is sent to the API as a Bearer "
                   "header, never in a URL."),
    "headline": ("核心指标", "Headline figures"), "months": ("月度图表", "Monthly charts"),
    "townships": ("乡镇", "Townships"), "flagged": ("监测户名单", "Flagged households"),
    "flag": ("标识", "Flag"), "export_csv": ("导出 CSV", "Export CSV"), "export_xlsx": ("导出 Excel", "Export XLSX"),
    "more": ("更多", "More"), "no_data": ("本年度暂无数据", "No data for this year"),
    "household": ("户收入明细", "Household income"),
    "lines_more": ("仅显示前 500 条明细。", "Only the first 500 lines are shown."),
    "footer": ("数据来自本服务的接口；金额单位为元。", "Figures come from this service's API; amounts in yuan."),
}
POOR_WORKERS: Label = ("脱贫（监测）劳动力（连续务工满规定月数）", "Poor workers employed the required consecutive months")
"""What ``workers_poor`` counts: workers of exited (脱贫) and monitored (监测) households who qualify a workshop — with
a bank-verified slip in each of the ``workshop.min_employment_months`` consecutive months ending at the month (3 by
default and in shangyou-2017) — not every poor worker."""
TIPS: dict[str, Label] = {
    "workers_poor": ("所示月份末，在车间连续务工满规定月数（参数 workshop.min_employment_months，默认3个月）、每月工资条均经银行"
                     "核验的脱贫户和监测对象劳动力人数；未满月数的脱贫劳动力计入“务工人数”，不计入此项。",
                     "In the last month shown: workers of exited-poverty (脱贫) and monitored (监测) households with a "
                     "bank-verified wage slip in each of the required consecutive months (parameter "
                     "workshop.min_employment_months, 3 by default). Poor workers with fewer months count among "
                     "Workers, not here."),
}
# (key in the dashboard's headline, label, kind): kind yuan = fen shown as 元 with two decimals
CARDS: list[tuple[str, Label, str]] = [
    ("sales_fen", ("认定销售额（元）", "Recognised sales (yuan)"), "yuan"),
    ("certified_products", ("认定产品", "Certified products"), "int"),
    ("certified_sellers", ("认定经营主体", "Certified sellers"), "int"),
    ("households_reached", ("联农带农户数", "Households reached"), "int"),
    ("attributed_fen", ("联农带农金额（元）", "Money to households (yuan)"), "yuan"),
    ("workshops_certified", ("认定帮扶车间", "Certified workshops"), "int"),
    ("workers_total", ("务工人数", "Workers"), "int"),
    ("workers_poor", POOR_WORKERS, "int"),
    ("wages_fen", ("工资总额（元）", "Wages (yuan)"), "yuan"),
    ("average_wage_fen", ("平均月工资（元）", "Average monthly wage (yuan)"), "yuan"),
    ("subsidies_entitled_fen", ("应享补贴（元）", "Subsidies entitled (yuan)"), "yuan"),
    ("subsidies_paid_fen", ("已发补贴（元）", "Subsidies paid (yuan)"), "yuan"),
    ("households_flagged.below_poverty_line", ("低于贫困线户", "Below the poverty line"), "int"),
    ("households_flagged.below_monitoring_threshold", ("低于监测线户", "Below the monitoring threshold"), "int"),
    ("households_flagged.sudden_drop", ("收入骤减户", "Sudden income drop"), "int"),
]
FLAGS: list[tuple[str, Label]] = [
    ("below_monitoring_threshold", ("低于监测线", "Below the monitoring threshold")),
    ("below_poverty_line", ("低于贫困线", "Below the poverty line")),
    ("sudden_drop", ("收入骤减", "Sudden income drop")),
]
# (chart id, title, source: "months" (one point a month) or "income" (bands of the year), series)
CHARTS: list[tuple[str, Label, str, list[tuple[str, Label, str]]]] = [
    ("sales", ("月度认定销售额（元）", "Recognised sales by month (yuan)"), "months",
     [("sales_fen", ("认定销售额", "Sales"), "yuan")]),
    ("employment", ("月度务工人数", "Workers by month"), "months",
     [("workers_total", ("务工人数", "Workers"), "int"), ("workers_poor", POOR_WORKERS, "int")]),
    ("subsidies", ("月度补贴（元）", "Subsidies by month (yuan)"), "months",
     [("subsidies_entitled_fen", ("应享", "Entitled"), "yuan"), ("subsidies_claimed_fen", ("已申报", "Claimed"), "yuan"),
      ("subsidies_paid_fen", ("已发放", "Paid"), "yuan")]),
    ("bands", ("按人均纯收入分组户数", "Households by income band"), "income",
     [("below_poverty_line", ("低于贫困线", "Below poverty line"), "int"),
      ("below_monitoring_threshold", ("低于监测线", "Below threshold"), "int"),
      ("above_threshold", ("高于监测线", "Above threshold"), "int"), ("no_member", ("无在册人口", "No member"), "int")]),
]
TOWNSHIP_COLUMNS: list[tuple[str, Label, str]] = [
    ("area_code", ("乡镇代码", "Township code"), "text"),
    ("area_name", ("乡镇名称", "Township name"), "text"),
    ("headline.sales_fen", ("认定销售额（元）", "Sales (yuan)"), "yuan"),
    ("headline.households_reached", ("联农带农户数", "Households reached"), "int"),
    ("headline.attributed_fen", ("联农带农金额（元）", "Money to households (yuan)"), "yuan"),
    ("headline.workshops_certified", ("认定车间", "Certified workshops"), "int"),
    ("headline.workers_total", ("务工人数", "Workers"), "int"),
    ("headline.wages_fen", ("工资总额（元）", "Wages (yuan)"), "yuan"),
    ("headline.subsidies_entitled_fen", ("应享补贴（元）", "Subsidies entitled (yuan)"), "yuan"),
    ("headline.households_flagged.below_monitoring_threshold", ("低于监测线户", "Below threshold"), "int"),
]
FLAGGED_COLUMNS: list[tuple[str, Label, str]] = [
    ("household_number", ("户编号", "Household number"), "text"),
    ("village_code", ("行政村代码", "Village code"), "text"),
    ("village_name", ("行政村", "Village name"), "text"),
    ("members", ("人口", "Members"), "int"),
    ("net_fen", ("纯收入（元）", "Net income (yuan)"), "yuan"),
    ("per_capita_net_fen", ("人均纯收入（元）", "Per-capita net income (yuan)"), "yuan"),
    ("flags", ("标识", "Flags"), "flags"),
]
HOUSEHOLD_CARDS: list[tuple[str, Label, str]] = [
    ("gross_fen", ("总收入（元）", "Gross income (yuan)"), "yuan"),
    ("operating_cost_fen", ("生产经营性支出（元）", "Operating costs (yuan)"), "yuan"),
    ("net_fen", ("纯收入（元）", "Net income (yuan)"), "yuan"),
    ("members", ("人口", "Members"), "int"),
    ("per_capita_net_fen", ("人均纯收入（元）", "Per-capita net income (yuan)"), "yuan"),
    ("threshold_fen", ("监测线（元）", "Monitoring threshold (yuan)"), "yuan"),
]
CATEGORY_COLUMNS: list[tuple[str, Label, str]] = [
    ("category", ("收入类别", "Category"), "category"),
    ("amount_fen", ("金额（元）", "Amount (yuan)"), "yuan"),
    ("cost_fen", ("扣除成本（元）", "Cost deducted (yuan)"), "yuan"),
]
LINE_COLUMNS: list[tuple[str, Label, str]] = [
    ("month", ("月份", "Month"), "text"),
    ("category", ("类别", "Category"), "category"),
    ("kind", ("来源类型", "Kind"), "kind"),
    ("amount_fen", ("金额（元）", "Amount (yuan)"), "yuan"),
    ("cost_fen", ("扣除成本（元）", "Cost (yuan)"), "yuan"),
    ("source", ("对应事件", "Event behind it"), "event"),
]
"""The drill-down's lines, sorted by month (a yearly declaration, which has none, last); the event is named in
words from the line's ``source`` (its key stays the cell's tooltip)."""
DECLARED_EN = {"migrant_wages": "migrant wages", "local_wages": "local wages", "farming": "farming",
               "rent_dividends": "rent and dividends", "dibao": "minimum living allowance", "pension": "pension",
               "farm_subsidy": "farm subsidy", "other_transfer": "other transfers"}
KINDS: dict[str, Label] = {
    "wage_slip": ("工资（工资条）", "Wages (wage slip)"),
    "worker_wage_subsidy": ("务工补贴", "Wage subsidy to the worker"),
    "procurement": ("农产品收购", "Produce bought from the household"),
    "land_rent": ("土地流转租金", "Land rent"),
    "dividend": ("入股分红", "Dividend"),
    "revenue_share": ("产品收益分红", "Revenue share of product sales"),
    **{f"declared_{code}": (f"申报：{zh}", f"Declared: {DECLARED_EN[code]}")
       for code, (zh, _) in OTHER_INCOME_TYPES.items()},
}
EVENTS: dict[str, Label] = {
    "Payroll.SlipVerified": ("银行核验的工资条", "Bank-verified wage slip"),
    "Claim.Paid": ("补贴申报发放", "Subsidy claim paid"),
    "LinkageLedger.PaymentRecorded": ("经营主体付款", "Payment recorded by the seller"),
    "Household.OtherIncomeDeclared": ("农户其他收入申报", "Other income declared for the household"),
    "revenue_share": ("当月认定销售额按联农带农计划分红", "Share of the month's recognised sales under the linkage plan"),
}
CATEGORIES: dict[str, Label] = {"wage": ("工资性", "wage"), "operating": ("生产经营性", "operating"),
                                "property": ("财产性", "property"), "transfer": ("转移性", "transfer")}


def label(pair: Label) -> str:
    zh, en = pair
    return f'<span class="zh">{escape(zh)}</span> <span class="en">{escape(en)}</span>'


def _tip(key: str) -> str:
    tip = TIPS.get(key)
    return f' title="{escape(tip[0] + " " + tip[1])}"' if tip else ""


def _cards(cards: list[tuple[str, Label, str]]) -> str:
    return "".join(f'<div class="card" data-key="{key}" data-kind="{kind}"{_tip(key)}><div class="label">'
                   f'{label(text)}</div><div class="value">—</div></div>' for key, text, kind in cards)


def _head(columns: list[tuple[str, Label, str]]) -> str:
    return "".join(f'<th data-key="{key}" data-kind="{kind}">{label(text)}</th>' for key, text, kind in columns)


def _charts() -> str:
    out = []
    for chart, title, source, series in CHARTS:
        spec = escape(json.dumps([[key, f"{zh} {en}", kind] for key, (zh, en), kind in series], ensure_ascii=False))
        out.append(f'<figure class="chart" id="chart-{chart}" data-source="{source}" data-series="{spec}">'
                   f'<figcaption>{label(title)}</figcaption><div class="canvas"></div>'
                   f'<p class="no-data" hidden>{label(L["no_data"])}</p></figure>')
    return "".join(out)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


@cache
def echarts_manifest() -> dict[str, str]:
    return dict(json.loads((ECHARTS_DIR / "manifest.json").read_text(encoding="utf-8")))


def page(year: int) -> str:
    years = range(year, year - YEARS_SHOWN, -1)
    names = {"flags": {code: f"{zh} {en}" for code, (zh, en) in FLAGS},
             "categories": {code: f"{zh} {en}" for code, (zh, en) in CATEGORIES.items()},
             "kinds": {code: f"{zh} {en}" for code, (zh, en) in KINDS.items()},
             "events": {code: f"{zh} {en}" for code, (zh, en) in EVENTS.items()}}
    values = {
        **{f"l_{key}": label(text) for key, text in L.items()},
        "css": f"/dashboard/assets/dashboard.css?v={_digest(PAGE_DIR / 'dashboard.css')}",
        "js": f"/dashboard/assets/dashboard.js?v={_digest(PAGE_DIR / 'dashboard.js')}",
        "echarts": f"/dashboard/echarts/{echarts_manifest()['file']}?v={echarts_manifest()['version']}",
        "default_year": str(year),
        "year_options": "".join(f'<option value="{y}">{y}</option>' for y in years),
        "flag_options": "".join(f'<option value="{code}">{escape(zh)} {escape(en)}</option>'
                                for code, (zh, en) in FLAGS),
        "cards": _cards(CARDS), "household_cards": _cards(HOUSEHOLD_CARDS), "charts": _charts(),
        "township_head": _head(TOWNSHIP_COLUMNS), "flagged_head": _head(FLAGGED_COLUMNS),
        "category_head": _head(CATEGORY_COLUMNS), "line_head": _head(LINE_COLUMNS),
    }
    html = Template(TEMPLATE.read_text(encoding="utf-8")).substitute(values)
    data = json.dumps(names, ensure_ascii=False).replace("<", "\\u003c")  # no "</script>" inside
    return html.replace("</body>", f'<script type="application/json" id="names">{data}</script>\n</body>')


SECURITY_HEADERS = {
    # the page runs only its own scripts and talks only to this server; ECharts' tooltips set inline styles
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
                               "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


class DashboardPageController(Controller):
    @get("/dashboard", opt=public, include_in_schema=False, media_type="text/html")
    async def dashboard(self) -> Response[str]:
        """The page (HTML, public): it asks for a token and reads the JSON API with it."""
        year = business_today().year
        return Response(page(year), media_type="text/html", headers=SECURITY_HEADERS)

    @get("/favicon.ico", opt=public, include_in_schema=False, media_type="image/vnd.microsoft.icon")
    async def favicon(self) -> Response[bytes]:
        """The icon a browser asks for on every page (it answered 404, an error in the page's console)."""
        return Response(_favicon(), media_type="image/vnd.microsoft.icon",
                        headers={"Cache-Control": "public, max-age=86400"})


@cache
def _favicon() -> bytes:
    return FAVICON.read_bytes()


def asset_routers() -> list[Router]:
    """The page's script and style, and ECharts: public, versioned by ``?v=`` (their content's hash or the
    vendored version), so browsers may keep them a year."""
    cache_control = CacheControlHeader(max_age=365 * 86400, public=True)
    return [
        create_static_files_router(path="/dashboard/assets", directories=[PAGE_DIR], name="dashboard-assets",
                                   opt=dict(public), cache_control=cache_control, include_in_schema=False),
        create_static_files_router(path="/dashboard/echarts", directories=[ECHARTS_DIR], name="echarts",
                                   opt=dict(public), cache_control=cache_control, include_in_schema=False),
    ]


CONTROLLERS = [DashboardPageController]
__all__ = ["CONTROLLERS", "asset_routers", "echarts_manifest", "page"]

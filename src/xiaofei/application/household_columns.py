"""The household file's columns (their accepted headers) and how its cells are read: the labels a code cell may
use, and what a household-level cell means when its rows are compared."""

from __future__ import annotations

from xiaofei.application.cells import parse_day
from xiaofei.application.tables import accepted_labels
from xiaofei.domain.errors import FieldProblem
from xiaofei.domain.registry import CATEGORIES, LABOUR_CAPACITIES, MONITORED_SUBTYPES, POVERTY_CAUSES, RELATIONS

# Column → accepted header spellings (English code first, then the national export's Chinese header).
COLUMNS: dict[str, tuple[str, ...]] = {
    "county": ("county", "县", "县代码"),
    "village_code": ("village_code", "村", "村代码", "行政村代码"),
    "township_name": ("township_name", "乡镇", "乡镇名称", "乡（镇）"),
    "village_name": ("village_name", "村名称", "行政村名称", "村名"),
    "household_number": ("household_number", "户编号"),
    "person_number": ("person_number", "人编号"),
    "name": ("name", "姓名"),
    "id_number": ("id_number", "身份证号", "证件号码"),
    "relation": ("relation", "与户主关系"),
    "labour_capacity": ("labour_capacity", "劳动技能"),
    "causes": ("causes", "致贫原因"),
    "category": ("category", "户类型"),
    "subtype": ("subtype", "监测对象类型"),
    "disability": ("disability", "残疾情况"),
    "effective_date": ("effective_date", "识别日期"),
}
REQUIRED = ("village_code", "household_number", "person_number", "name", "id_number", "relation",
            "labour_capacity", "category", "effective_date")
"""识别日期 is required: it is the day from which the household's category holds, and every subsidy for a worker of
the household is judged against it. (It defaulted to 2014-01-01, silently, so a household first identified in 2021
counted as poor in every month since 2014.)"""
HOUSEHOLD_LEVEL = ("village_code", "category", "subtype", "causes", "effective_date")
CODE_COLUMNS = ("county", "village_code", "household_number", "person_number")
"""Read as codes: full-width digits and letters (``４２１０８１``) as their ASCII forms, like every number cell."""
def _reverse(table: dict[str, str]) -> dict[str, str]:
    out = {code: code for code in table}
    out.update({zh: code for code, zh in table.items()})
    return out


CATEGORY_CODES = _reverse(CATEGORIES)
SUBTYPE_CODES = _reverse(MONITORED_SUBTYPES)
CAUSE_CODES = _reverse(POVERTY_CAUSES)
RELATION_CODES = _reverse(RELATIONS)
LABOUR_CODES = _reverse(LABOUR_CAPACITIES)


_LABELS = {"category": CATEGORIES, "subtype": MONITORED_SUBTYPES, "causes": POVERTY_CAUSES, "relation": RELATIONS,
           "labour_capacity": LABOUR_CAPACITIES}


def code_of(table: dict[str, str], raw: str, col: str, row: int, problems: list[FieldProblem]) -> str:
    """The code a cell names (its Chinese label or the English code); a cell that names none is one problem that
    lists the accepted labels, and the cell's code is left empty (its household is then not built, so the domain's
    own check never reports the same cell a second time)."""
    value = table.get(raw.strip())
    if value is None:
        problems.append(FieldProblem(col, f"{raw.strip()!r} is not one of {accepted_labels(_LABELS[col])}", row))
        return ""
    return value


def canonical(col: str, text: str) -> object:
    """What a household-level cell means, for comparing a household's rows: two spellings of one date
    (``2016-03-01``, ``2016/3/1``, ``2016年3月1日``) or of one category (``脱贫户``, ``exited``) agree. A cell that
    cannot be read compares as its text (its first row reports it)."""
    if col == "effective_date":
        try:
            return parse_day(text)
        except ValueError:
            return text
    if col in ("category", "subtype"):
        table = CATEGORY_CODES if col == "category" else SUBTYPE_CODES
        return table.get(text, text)
    if col == "causes":
        return frozenset(CAUSE_CODES.get(c.strip(), c.strip()) for c in split_causes(text))
    return text


def split_causes(text: str) -> list[str]:
    return [c for c in text.replace("、", ";").replace(",", ";").replace("，", ";").split(";") if c.strip()]

"""docs/imports.md names every column of every import, and says the same as the parsers (issue 8 §4)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from xiaofei.application import importer, slips
from xiaofei.application.employment import EmploymentService
from xiaofei.domain.employment import PAYMENT_METHODS
from xiaofei.domain.registry import CATEGORIES, LABOUR_CAPACITIES, MONITORED_SUBTYPES, POVERTY_CAUSES, RELATIONS

DOC = (Path(__file__).resolve().parents[2] / "docs" / "imports.md").read_text(encoding="utf-8")
PARSERS = {
    "Household registry": (importer.COLUMNS, importer.REQUIRED),
    "Wage slips": (slips.COLUMNS, slips.REQUIRED),
    "Bank statements": (EmploymentService.STATEMENT_COLUMNS, EmploymentService.STATEMENT_REQUIRED),
}


def _table(section: str) -> dict[str, dict[str, str]]:
    """The section's column table: column → {headers, required, accepted, default}."""
    body = DOC.split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, dict[str, str]] = {}
    for line in body.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = dict(zip(("headers", "required", "accepted", "default"), cells[1:],
                                                 strict=True))
    return rows


@pytest.mark.parametrize("section", PARSERS)
def test_the_documented_columns_and_their_headers_are_the_parsers(section: str) -> None:
    columns, required = PARSERS[section]
    table = _table(section)
    assert list(table) == list(columns), f"{section}: the document lists other columns than the parser"
    for column, row in table.items():
        assert re.findall(r"`([^`]+)`", row["headers"]) == list(columns[column]), column
        assert (row["required"] == "yes") == (column in required), f"{section}: {column} required?"


@pytest.mark.parametrize(("section", "column", "labels"), [
    ("Household registry", "category", CATEGORIES), ("Household registry", "subtype", MONITORED_SUBTYPES),
    ("Household registry", "causes", POVERTY_CAUSES), ("Household registry", "relation", RELATIONS),
    ("Household registry", "labour_capacity", LABOUR_CAPACITIES), ("Wage slips", "method", PAYMENT_METHODS),
])
def test_every_accepted_label_is_documented_with_its_code(section: str, column: str, labels: dict[str, str]) -> None:
    accepted = _table(section)[column]["accepted"]
    for code, label in labels.items():
        assert f"{label} ({code})" in accepted or (f"{label} or " in accepted and f"({code})" in accepted), code


def test_no_documented_column_has_a_default_it_does_not_have() -> None:
    # 识别日期 once defaulted to 2014-01-01 without a word; it is required now, with no default
    row = _table("Household registry")["effective_date"]
    assert row["required"] == "yes" and row["default"] == ""

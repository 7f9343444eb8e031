"""The BI views are the contract `projections/dashboard/README.md` documents: every documented column exists in its
view, no view has a column the README does not document, and every view answers."""

from __future__ import annotations

import re
from pathlib import Path

from xiaofei.bootstrap import Services

README = Path(__file__).resolve().parents[2] / "projections" / "dashboard" / "README.md"


def _documented() -> dict[str, list[str]]:
    views: dict[str, list[str]] = {}
    current = None
    for line in README.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^### `(bi_\w+)`", line)
        if heading:
            current = views.setdefault(heading.group(1), [])
            continue
        row = re.match(r"^\| `(\w+)` \|", line)
        if row and current is not None:
            current.append(row.group(1))
    return views


def test_every_documented_column_is_in_its_view(services: Services) -> None:
    documented = _documented()
    assert len(documented) >= 6 and all(documented.values())
    with services.params.connect() as conn:
        rows = conn.execute("SELECT table_name, column_name FROM information_schema.columns"
                            " WHERE table_schema = 'rm_dashboard' AND table_name LIKE 'bi\\_%%'"
                            " ORDER BY table_name, ordinal_position").fetchall()
        actual: dict[str, list[str]] = {}
        for view, column in rows:
            actual.setdefault(view, []).append(column)
        assert sorted(actual) == sorted(documented), "a view is missing or undocumented"
        for view, columns in documented.items():
            assert columns == actual[view], f"{view}: documented {columns}, has {actual[view]}"
            conn.execute(f"SELECT * FROM rm_dashboard.{view} LIMIT 1").fetchall()  # noqa: S608 - names from the catalog

from __future__ import annotations

import pytest

from tests.helpers import HEADER, id_number
from xiaofei.application.importer import decode_csv, parse_households
from xiaofei.domain.errors import InvalidInput

C = "360724"


def _csv(rows: list[list[str]], header: list[str] = HEADER) -> str:
    return "\n".join(",".join(r) for r in [header, *rows]) + "\n"


def _row(number: str, person: str, relation: str = "户主", serial: int = 1, **over: str) -> list[str]:
    row = dict(zip(HEADER, [C, f"{C}100001", number, person, "王芳", id_number(C, serial), relation, "普通劳动力",
                            "因病", "脱贫户", "2016-03-01"], strict=True))
    row.update(over)
    return list(row.values())


def test_groups_member_rows_into_households_and_maps_chinese_values() -> None:
    rows, households, problems = parse_households(C, _csv([_row("H1", "H101"), _row("H1", "H102", "配偶", 2),
                                                           _row("H2", "H201", serial=3)]))
    assert rows == 3 and problems == []
    assert [h.data.household_number for h in households] == ["H1", "H2"]
    assert households[0].member_rows == [2, 3]
    first = households[0].data
    assert first.category == "exited" and first.causes == ["illness"]
    assert [m.relation for m in first.members] == ["head", "spouse"]


def test_reports_every_bad_row_with_its_spreadsheet_row_number_and_field() -> None:
    text = _csv([_row("H1", "H101"), _row("H2", "", serial=2), _row("H3", "H301", relation="邻居", serial=3)])
    _, _, problems = parse_households(C, text)
    found = {(p.row, p.field) for p in problems}
    assert (3, "person_number") in found
    assert (4, "relation") in found


def test_missing_required_column_is_named() -> None:
    with pytest.raises(InvalidInput) as err:
        parse_households(C, _csv([], header=[h for h in HEADER if h != "身份证号"]))
    assert any(p.field == "id_number" and "required column" in p.reason for p in err.value.problems)


def test_household_fields_must_agree_across_its_rows() -> None:
    text = _csv([_row("H1", "H101"), _row("H1", "H102", "配偶", 2, 户类型="监测对象")])
    _, _, problems = parse_households(C, text)
    assert problems[0].row == 3 and problems[0].field == "category"


def test_accepts_gb18030_files_from_excel() -> None:
    text = _csv([_row("H1", "H101")])
    assert decode_csv(text.encode("gb18030")) == text
    assert decode_csv(b"\xef\xbb\xbf" + text.encode("utf-8")) == text


def test_refuses_rows_of_another_county() -> None:
    _, _, problems = parse_households(C, _csv([_row("H1", "H101", 县="421081")]))
    assert problems[0].field == "county"


def test_a_bilingual_header_names_its_column() -> None:
    from xiaofei.application.tables import header_map

    cols = header_map(["身份证号 id_number", "姓名(name)", "户编号（household_number）"], importer_columns(), ())
    assert cols == {"id_number": 0, "name": 1, "household_number": 2}
    with pytest.raises(InvalidInput):
        header_map(["身份证号 name"], importer_columns(), ())


def importer_columns() -> dict[str, tuple[str, ...]]:
    from xiaofei.application.importer import COLUMNS

    return COLUMNS

"""CSV import of households from the national system's export (one row per member).

Policy: **all-or-nothing**. The whole file is validated first; if any row is wrong, the answer lists every
row error (row number as a spreadsheet shows it, header = row 1, and the field) and nothing is written.
A valid file is written in one transaction. Importing the same file again (same county, same bytes) is
a no-op that returns the first import's summary; a household already registered with exactly the same
data is counted as ``unchanged``; one registered with *different* data is a row error (edits go through
the edit endpoints, so every change keeps its reason and effective date).
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from xiaofei.application.app import EventSpool
from xiaofei.application.cells import id_number_cell, normalised, parse_day
from xiaofei.application.registry import HouseholdInput, MemberInput, RegistryService
from xiaofei.application.tables import accepted_labels, decode_text, header_map
from xiaofei.domain import ids
from xiaofei.domain.codes import check_village_code
from xiaofei.domain.errors import Conflict, FieldProblem, InvalidInput
from xiaofei.domain.imports import HouseholdImport
from xiaofei.domain.registry import (
    CATEGORIES,
    LABOUR_CAPACITIES,
    MONITORED_SUBTYPES,
    POVERTY_CAUSES,
    RELATIONS,
    Household,
)

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
MAX_ROWS = 500_000
CHUNK = 1_000
"""Households checked against the store and spooled at a time."""


def _reverse(table: dict[str, str]) -> dict[str, str]:
    out = {code: code for code in table}
    out.update({zh: code for code, zh in table.items()})
    return out


_CATEGORY = _reverse(CATEGORIES)
_SUBTYPE = _reverse(MONITORED_SUBTYPES)
_CAUSE = _reverse(POVERTY_CAUSES)
_RELATION = _reverse(RELATIONS)
_LABOUR = _reverse(LABOUR_CAPACITIES)


@dataclass
class ImportResult:
    file_sha256: str
    rows: int
    households: int
    registered: int
    unchanged: int
    already_imported: bool
    position: int


@dataclass
class _Group:
    first_row: int
    values: dict[str, str]
    members: list[tuple[int, MemberInput]] = field(default_factory=list)


decode_csv = decode_text


_LABELS = {"category": CATEGORIES, "subtype": MONITORED_SUBTYPES, "causes": POVERTY_CAUSES, "relation": RELATIONS,
           "labour_capacity": LABOUR_CAPACITIES}


def _code(table: dict[str, str], raw: str, col: str, row: int, problems: list[FieldProblem]) -> str:
    """The code a cell names (its Chinese label or the English code); a cell that names none is one problem that
    lists the accepted labels, and the cell's code is left empty (its household is then not built, so the domain's
    own check never reports the same cell a second time)."""
    value = table.get(raw.strip())
    if value is None:
        problems.append(FieldProblem(col, f"{raw.strip()!r} is not one of {accepted_labels(_LABELS[col])}", row))
        return ""
    return value


@dataclass
class ParsedHousehold:
    row: int
    """Spreadsheet row of the household's first member row."""
    data: HouseholdInput
    member_rows: list[int]
    clean: bool = True
    """False when one of its cells (or one of its rows) was refused already: it is not built, so a refused cell
    is reported once, by the parser, and never again by the domain's check of the value left in its place."""


def _key(raw: str) -> str:
    """A household number as the file's rows are grouped by it: full-width forms read as ASCII, trimmed."""
    return normalised(raw)


def _canonical(col: str, text: str) -> object:
    """What a household-level cell means, for comparing a household's rows: two spellings of one date
    (``2016-03-01``, ``2016/3/1``, ``2016年3月1日``) or of one category (``脱贫户``, ``exited``) agree. A cell that
    cannot be read compares as its text (its first row reports it)."""
    if col == "effective_date":
        try:
            return parse_day(text)
        except ValueError:
            return text
    if col in ("category", "subtype"):
        table = _CATEGORY if col == "category" else _SUBTYPE
        return table.get(text, text)
    if col == "causes":
        return frozenset(_CAUSE.get(c.strip(), c.strip()) for c in _split_causes(text))
    return text


def _split_causes(text: str) -> list[str]:
    return [c for c in text.replace("、", ";").replace(",", ";").replace("，", ";").split(";") if c.strip()]


def _lines(text: str) -> Iterator[str]:
    """The text's lines, each with its newline, without a second copy of the text (``io.StringIO`` makes one, four
    bytes a character)."""
    start = 0
    while (end := text.find("\n", start)) >= 0:
        yield text[start:end + 1]
        start = end + 1
    if start < len(text):
        yield text[start:]


def _reader(text: str) -> tuple[Any, list[str], dict[str, int]]:
    """A CSV reader past the header, the header, and the column of each known field. Header errors raise."""
    reader = csv.reader(_lines(text))
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput(FieldProblem("file", "is empty")) from None
    except csv.Error as e:
        raise InvalidInput(FieldProblem("file", f"is not valid CSV: {e}", 1)) from None
    return reader, header, header_map([h.strip() for h in header], COLUMNS, REQUIRED)


def _data_rows(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """(spreadsheet row, cells) of every row that is not blank; too many rows, or broken CSV, raise."""
    rows = 0
    try:
        for row_number, raw_row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in raw_row):
                continue
            rows += 1
            if rows > MAX_ROWS:
                raise InvalidInput(FieldProblem("file", f"has more than {MAX_ROWS} rows; split it"))
            yield row_number, raw_row
    except csv.Error as e:
        raise InvalidInput(FieldProblem("file", f"is not valid CSV near row {reader.line_num}: {e}")) from None


@dataclass
class HouseholdStream:
    """A file's households, checked one by one as the reader passes the last row of each (the rows of a
    household need not be adjacent), in the order of their first rows; memory holds the households still open,
    not the file's. ``problems`` fills as ``households`` runs."""

    rows: int
    """Data rows (blank rows not counted)."""
    last: dict[str, int]
    """The last row of each household number."""
    text: str
    county: str
    problems: list[FieldProblem] = field(default_factory=list)
    names: dict[str, tuple[str, int]] = field(default_factory=dict)
    """Township and village names the file gives (code → name and the row that first named it)."""

    @property
    def households(self) -> int:
        """Distinct household numbers in the file (an upper bound of how many iterating yields)."""
        return len(self.last)

    def __iter__(self) -> Iterator[ParsedHousehold]:
        reader, header, cols = _reader(self.text)
        last = self.last
        problems = self.problems
        groups: OrderedDict[str, _Group] = OrderedDict()
        complete: set[str] = set()
        dirty: set[str] = set()
        """Households one of whose rows was refused."""
        refused: set[int] = set()
        """Rows with a problem."""
        hh = cols["household_number"]
        for row_number, raw_row in _data_rows(reader):
            before = len(problems)
            self._row(row_number, raw_row, len(header), cols, groups, dirty)
            if len(problems) > before:
                refused.add(row_number)
            number = _key(raw_row[hh]) if hh < len(raw_row) else None
            if number is not None and last.get(number) == row_number and number in groups:
                complete.add(number)
                while groups and next(iter(groups)) in complete:
                    done, group = groups.popitem(last=False)
                    complete.discard(done)
                    yield self._household(done, group, dirty, refused)

    def _row(self, row_number: int, raw_row: list[str], width: int, cols: dict[str, int],
             groups: OrderedDict[str, _Group], dirty: set[str]) -> None:
        problems = self.problems
        if len(raw_row) != width:
            problems.append(FieldProblem("row", f"has {len(raw_row)} cells, header has {width}", row_number))
            if "household_number" in cols and cols["household_number"] < len(raw_row):
                dirty.add(_key(raw_row[cols["household_number"]]))
            return
        cell = {col: normalised(raw_row[i]) if col in CODE_COLUMNS else raw_row[i].strip()
                for col, i in cols.items()}
        before = len(problems)
        for col in REQUIRED:
            if not cell[col]:
                problems.append(FieldProblem(col, "is required", row_number))
        if "county" in cell and cell["county"] and cell["county"] != self.county:
            problems.append(FieldProblem("county", f"row is for county {cell['county']}, import is for {self.county}",
                                         row_number))
        if len(problems) > before:
            if cell["household_number"]:
                dirty.add(cell["household_number"])
            return
        self._names(cell, row_number)
        values = {col: cell.get(col, "") for col in HOUSEHOLD_LEVEL}
        group = groups.get(cell["household_number"])
        if group is None:
            group = groups[cell["household_number"]] = _Group(row_number, values)
        else:
            for col in HOUSEHOLD_LEVEL:
                if _canonical(col, values[col]) != _canonical(col, group.values[col]):
                    problems.append(FieldProblem(
                        col, f"differs from row {group.first_row} of the same household", row_number))
        group.members.append((row_number, MemberInput(
            person_number=cell["person_number"],
            name=cell["name"],
            id_number=normalised(cell["id_number"]),
            relation=_code(_RELATION, cell["relation"], "relation", row_number, problems),
            labour_capacity=_code(_LABOUR, cell["labour_capacity"], "labour_capacity", row_number, problems),
            disability=cell.get("disability") or None,
        )))

    def _household(self, number: str, group: _Group, dirty: set[str], refused: set[int]) -> ParsedHousehold:
        problems = self.problems
        county = self.county
        row = group.first_row
        v = group.values
        before = len(problems)
        try:
            check_village_code(v["village_code"], county)
        except InvalidInput as e:
            problems.extend(FieldProblem(p.field, p.reason, row) for p in e.problems)
        category = _code(_CATEGORY, v["category"], "category", row, problems)
        subtype = _code(_SUBTYPE, v["subtype"], "subtype", row, problems) if v.get("subtype") else None
        if category == "monitored" and not v.get("subtype"):
            problems.append(FieldProblem("subtype", "a 监测对象 (monitored) household needs one of "
                                                    + accepted_labels(MONITORED_SUBTYPES), row))
        elif category and category != "monitored" and v.get("subtype"):
            problems.append(FieldProblem("subtype", "only a 监测对象 (monitored) household has a subtype", row))
        causes_raw = _split_causes(v.get("causes", ""))
        causes = [_code(_CAUSE, c, "causes", row, problems) for c in causes_raw]
        effective = date.min
        try:
            effective = parse_day(v["effective_date"])
        except ValueError as e:
            problems.append(FieldProblem("effective_date", str(e), row))
        parsed = ParsedHousehold(row, HouseholdInput(
            household_number=number,
            village_code=v["village_code"],
            category=category,
            subtype=subtype,
            causes=causes,
            members=[m for _, m in group.members],
            effective_date=effective,
        ), [r for r, _ in group.members])
        parsed.clean = (len(problems) == before and number not in dirty
                        and not any(r in refused for r, _ in group.members))
        return parsed


    def _names(self, cell: dict[str, str], row_number: int) -> None:
        """The row's township and village names, by code (the township's is the village code's first 9 digits);
        one code named two ways in the file is a problem of the later row."""
        for col, code in (("township_name", cell["village_code"][:9]), ("village_name", cell["village_code"])):
            name = cell.get(col, "")
            if not name:
                continue
            seen = self.names.setdefault(code, (name, row_number))
            if seen[0] != name:
                self.problems.append(FieldProblem(col, f"{code} is named {seen[0]!r} in row {seen[1]}", row_number))


def stream_households(county: str, text: str) -> HouseholdStream:
    """The file's shape checked (header, row count, CSV syntax: these raise) and its households to iterate."""
    reader, _, cols = _reader(text)
    hh = cols["household_number"]
    rows = 0
    last: dict[str, int] = {}
    for row_number, raw_row in _data_rows(reader):
        rows += 1
        if hh < len(raw_row):
            last[_key(raw_row[hh])] = row_number
    return HouseholdStream(rows, last, text, county)


def parse_households(county: str, text: str) -> tuple[int, list[ParsedHousehold], list[FieldProblem]]:
    """Parse and check the file's shape: (data rows, households, row problems). Header errors raise."""
    stream = stream_households(county, text)
    households = list(stream)
    return stream.rows, households, stream.problems


_MEMBER_FIELD = re.compile(r"^members\[(\d+)\]\.?(.*)$")


def _at_rows(parsed: ParsedHousehold, err: InvalidInput) -> list[FieldProblem]:
    """Point a household-level refusal at the CSV row of the member it is about."""
    out = []
    for p in err.problems:
        m = _MEMBER_FIELD.match(p.field)
        if m and int(m.group(1)) < len(parsed.member_rows):
            out.append(FieldProblem(m.group(2) or "members", p.reason, parsed.member_rows[int(m.group(1))]))
        else:
            out.append(FieldProblem(p.field, p.reason, parsed.row))
    return out


class HouseholdImporter:
    def __init__(self, registry: RegistryService) -> None:
        self.registry = registry
        self.app = registry.app

    def run(self, county: str, filename: str, content: bytes, actor: str,
            progress: Callable[[int, int], None] | None = None) -> ImportResult:
        """Check every row, then record the new households in one transaction. ``progress(done, total)`` is told
        after each household is checked (the bulk of the work before the write)."""
        self.registry.check_county_registered(county)
        digest = hashlib.sha256(content).hexdigest()
        try:
            previous: HouseholdImport = self.app.repository.get(ids.import_batch_id(county, digest))
        except AggregateNotFoundError:
            pass
        else:
            return ImportResult(digest, previous.rows, previous.registered + previous.unchanged,
                                previous.registered, previous.unchanged, True, self.app.head_position())

        stream = stream_households(county, decode_csv(content))
        problems = stream.problems
        conflicts: list[FieldProblem] = []
        """Households already registered with different data: reported only when every row is otherwise right."""
        counts = {"built": 0, "new": 0, "unchanged": 0}
        chunk: list[tuple[int, Household]] = []
        with self.app.spool() as spool:
            for done, household in enumerate(stream, start=1):
                if progress is not None:
                    progress(done, stream.households)
                member_problems = []
                for member_row, member in zip(household.member_rows, household.data.members, strict=True):
                    try:
                        id_number_cell(member.id_number)
                    except ValueError as e:
                        member_problems.append(FieldProblem("id_number", str(e), member_row))
                if member_problems:
                    problems.extend(member_problems)
                    continue
                if not household.clean:
                    continue
                try:
                    chunk.append((household.row, self.registry.build_household(county, household.data, "import",
                                                                                actor)))
                except InvalidInput as e:
                    problems.extend(_at_rows(household, e))
                if len(chunk) >= CHUNK:
                    self._settle(chunk, spool, counts, conflicts, write=not problems)
                    chunk = []
            self._settle(chunk, spool, counts, conflicts, write=not problems)
            if not counts["built"] and not problems:
                raise InvalidInput(FieldProblem("file", "has no data rows"))
            for found in (problems, conflicts):
                if found:
                    found.sort(key=lambda p: (p.row or 0, p.field))
                    raise InvalidInput(found)
            batch = HouseholdImport(county=county, file_sha256=digest, filename=filename, rows=stream.rows,
                                    registered=counts["new"], unchanged=counts["unchanged"], actor=actor)
            named = self.registry.check_county_registered(county)  # the file's township and village names
            changed = named.name_areas({code: name for code, (name, _) in stream.names.items()}, actor)
            try:
                position = self.app.record_spooled(spool, batch, *([named] if changed else []))
            except IntegrityError:
                raise Conflict("another change to these households landed meanwhile; import the file again") from None
        return ImportResult(digest, stream.rows, counts["built"], counts["new"], counts["unchanged"], False, position)

    def _settle(self, chunk: list[tuple[int, Household]], spool: EventSpool, counts: dict[str, int],
                conflicts: list[FieldProblem], *, write: bool) -> None:
        """Count the chunk's households as new or unchanged (or refuse one registered with other data) and spool the
        new ones' events; with ``write`` false (the file is refused already) only count them."""
        counts["built"] += len(chunk)
        if not write:
            return
        existing = self.app.existing_versions([h.id for _, h in chunk])
        new: list[Household] = []
        for row, household in chunk:
            if household.id not in existing:
                new.append(household)
                continue
            current: Household = self.app.repository.get(household.id)
            if current.same_registration(household.village_code, household.category, household.subtype,
                                         household.causes, list(household.members.values())):
                counts["unchanged"] += 1
            else:
                conflicts.append(FieldProblem(
                    "household_number",
                    f"household {household.household_number} is already registered with different data; "
                    "change it through the household endpoints", row))
        counts["new"] += len(new)
        spool.add(new)

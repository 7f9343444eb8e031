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
from xiaofei.application.household_columns import (CATEGORY_CODES, CAUSE_CODES, CODE_COLUMNS, COLUMNS, HOUSEHOLD_LEVEL,
                                                   LABOUR_CODES, RELATION_CODES, REQUIRED, SUBTYPE_CODES, canonical,
                                                   code_of, split_causes)
from xiaofei.application.registry import HouseholdInput, MemberInput, RegistryService
from xiaofei.application.tables import accepted_labels, decode_text, header_map
from xiaofei.domain import ids
from xiaofei.domain.codes import check_village_code
from xiaofei.domain.errors import Conflict, FieldProblem, InvalidInput
from xiaofei.domain.imports import HouseholdImport
from xiaofei.domain.registry import MONITORED_SUBTYPES, Household

MAX_ROWS = 500_000
CHUNK = 1_000
"""Households checked against the store and spooled at a time."""


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
                if canonical(col, values[col]) != canonical(col, group.values[col]):
                    problems.append(FieldProblem(
                        col, f"differs from row {group.first_row} of the same household", row_number))
        group.members.append((row_number, MemberInput(
            person_number=cell["person_number"],
            name=cell["name"],
            id_number=normalised(cell["id_number"]),
            relation=code_of(RELATION_CODES, cell["relation"], "relation", row_number, problems),
            labour_capacity=code_of(LABOUR_CODES, cell["labour_capacity"], "labour_capacity", row_number, problems),
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
        category = code_of(CATEGORY_CODES, v["category"], "category", row, problems)
        subtype = code_of(SUBTYPE_CODES, v["subtype"], "subtype", row, problems) if v.get("subtype") else None
        if category == "monitored" and not v.get("subtype"):
            problems.append(FieldProblem("subtype", "a 监测对象 (monitored) household needs one of "
                                                    + accepted_labels(MONITORED_SUBTYPES), row))
        elif category and category != "monitored" and v.get("subtype"):
            problems.append(FieldProblem("subtype", "only a 监测对象 (monitored) household has a subtype", row))
        causes_raw = split_causes(v.get("causes", ""))
        causes = [code_of(CAUSE_CODES, c, "causes", row, problems) for c in causes_raw]
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

"""Validation of the national codes the registry relies on: ID numbers (GB 11643) and division codes."""

from __future__ import annotations

import re
from datetime import date

from xiaofei.domain.errors import InvalidInput, invalid

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")


def id_check_digit(first17: str) -> str:
    """The GB 11643-1999 check character for the first 17 digits of a citizen ID number."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def normalise_id_number(raw: str, field: str = "id_number") -> str:
    """Return the canonical 18-character ID number or raise ``InvalidInput`` saying what is wrong."""
    value = raw.strip().upper()
    if len(value) != 18:
        raise invalid(field, f"must be 18 characters, got {len(value)}")
    if not _ID_SHAPE.match(value):
        raise invalid(field, "must be 17 digits followed by a digit or X")
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise invalid(field, "birth date part (characters 7-14) is not a real date") from None
    expected = id_check_digit(value[:17])
    if value[17] != expected:
        raise invalid(field, f"check digit is {value[17]}, expected {expected} (GB 11643)")
    return value


def birth_date_from_id(id_number: str) -> date:
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def sex_from_id(id_number: str) -> str:
    """``M`` or ``F`` from the 17th digit (odd: male)."""
    return "M" if int(id_number[16]) % 2 else "F"


def mask_id_number(id_number: str) -> str:
    """``4210**********1234``: the province/prefecture and the last four stay visible."""
    return id_number[:4] + "*" * 10 + id_number[-4:]


def check_county_code(value: str, field: str = "county") -> str:
    if not re.fullmatch(r"\d{6}", value or ""):
        raise invalid(field, "must be a 6-digit administrative division code (行政区划代码)")
    return value


def check_in_province(value: str, province: str | None, field: str = "county") -> str:
    """A division code of the deployment's province (its first two digits); any province when none is set."""
    if province is not None and value[:2] != province:
        raise invalid(field, f"{value} is in province {value[:2]}; this deployment serves province {province} "
                             "only (XIAOFEI_PROVINCE)")
    return value


def check_village_code(value: str, county: str, field: str = "village_code") -> str:
    if not re.fullmatch(r"\d{12}", value or ""):
        raise invalid(field, "must be a 12-digit village code")
    if not value.startswith(county):
        raise invalid(field, f"village {value} is not in county {county}")
    return value


def valid_or_raise(problems: list[InvalidInput]) -> None:
    if problems:
        raise InvalidInput([p for err in problems for p in err.problems])


_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_char(first17: str) -> str:
    """GB 32100-2015 check character of a unified social credit code (统一社会信用代码)."""
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31]


def normalise_credit_code(raw: str, field: str = "credit_code") -> str:
    value = raw.strip().upper()
    if len(value) != 18:
        raise invalid(field, f"must be 18 characters, got {len(value)}")
    bad = sorted({c for c in value if c not in _USCC_CHARS})
    if bad:
        raise invalid(field, f"contains characters not used in credit codes: {''.join(bad)} (no I, O, S, V, Z)")
    expected = uscc_check_char(value[:17])
    if value[17] != expected:
        raise invalid(field, f"check character is {value[17]}, expected {expected} (GB 32100)")
    return value

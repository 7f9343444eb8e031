"""Which statement line proves which slip version: the pure rules."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from xiaofei.domain.employment import StatementLine
from xiaofei.rules.bank_matching import OpenLine, SlipToProve, match

PAYROLL = UUID(int=1)


def slip(n: int, net: int, pay: str, ref: str = "", account: str = "", name: str = "王芳",
         window: int = 3) -> SlipToProve:
    return SlipToProve(PAYROLL, UUID(int=100 + n), 1, net, date.fromisoformat(pay), ref, account, name, window,
                       ("2024-03", "w", f"{n:03d}"))


def line(n: int, amount: int, paid: str, ref: str = "", account: str = "", name: str = "王芳") -> OpenLine:
    return OpenLine(UUID(int=9), StatementLine(line=n, paid_on=date.fromisoformat(paid), amount_fen=amount,
                                               payee_name=name, payee_account=account, reference=ref), n)


def pairs(found: list) -> list[tuple[int, int, str]]:  # type: ignore[type-arg]
    return sorted((m.slip.slip_id.int - 100, m.line.entry.line, m.how) for m in found)


def test_a_reference_matches_whatever_the_dates_but_only_for_the_same_amount() -> None:
    assert pairs(match([slip(1, 600, "2024-03-28", ref="R1")], [line(2, 600, "2024-09-01", ref="R1")])) == \
        [(1, 2, "reference")]
    assert match([slip(1, 600, "2024-03-28", ref="R1")], [line(2, 601, "2024-03-28", ref="R1")]) == []


def test_a_stronger_rule_takes_its_line_before_a_weaker_one_can() -> None:
    # slip 1 would fit line 5 by account; slip 2 needs line 5 by reference: the reference wins, slip 1 gets line 6
    slips = [slip(1, 600, "2024-03-28", account="A"), slip(2, 600, "2024-03-28", ref="R", account="A")]
    lines = [line(5, 600, "2024-03-28", ref="R", account="A"), line(6, 600, "2024-03-30", account="A")]
    assert pairs(match(slips, lines)) == [(1, 6, "account"), (2, 5, "reference")]


def test_an_account_match_needs_the_window_and_takes_the_closest_date() -> None:
    s = slip(1, 600, "2024-03-28", account="A")
    assert match([s], [line(1, 600, "2024-04-01", account="A")]) == []  # 4 days
    assert pairs(match([s], [line(1, 600, "2024-03-31", account="A"), line(2, 600, "2024-03-27", account="A")])) \
        == [(1, 2, "account")]


def test_a_name_matches_only_a_line_without_an_account_and_only_when_unambiguous() -> None:
    s = slip(1, 600, "2024-03-28")
    assert pairs(match([s], [line(1, 600, "2024-03-29", name="王 芳")])) == [(1, 1, "name")]
    assert match([s], [line(1, 600, "2024-03-29", account="6217")]) == []  # the line has an account: not by name
    assert match([s], [line(1, 600, "2024-03-29"), line(2, 600, "2024-03-30")]) == []  # two lines fit
    assert match([s, slip(2, 600, "2024-03-27")], [line(1, 600, "2024-03-28")]) == []  # two slips fit


def test_one_line_proves_one_slip() -> None:
    found = match([slip(1, 600, "2024-03-28", ref="R"), slip(2, 600, "2024-03-28", ref="R")],
                  [line(1, 600, "2024-03-28", ref="R")])
    assert pairs(found) == [(1, 1, "reference")]

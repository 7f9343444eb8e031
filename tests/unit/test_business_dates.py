"""Business dates are Chinese dates (Asia/Shanghai), whatever the server's time zone; and the claim's notice
rules use them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from uuid import UUID

import pytest

from xiaofei.domain.claims import Claim, ClaimLine
from xiaofei.domain.clock import business_day, business_month, business_today
from xiaofei.domain.errors import Conflict, InvalidInput

HALF_PAST_MIDNIGHT_IN_BEIJING = datetime(2024, 6, 30, 16, 30, tzinfo=UTC)
SRC = Path(__file__).resolve().parents[2] / "src" / "xiaofei"


def test_at_half_past_midnight_in_beijing_it_is_already_the_next_day() -> None:
    assert business_today(HALF_PAST_MIDNIGHT_IN_BEIJING) == date(2024, 7, 1)
    assert business_today(lambda: HALF_PAST_MIDNIGHT_IN_BEIJING) == date(2024, 7, 1)
    assert business_day(datetime(2024, 6, 30, 15, 59, tzinfo=UTC)) == date(2024, 6, 30)
    assert business_month(datetime(2024, 6, 30, 16, 0, tzinfo=UTC)) == "2024-07"
    assert business_month(date(2024, 6, 30)) == "2024-06"
    assert business_day(datetime(2024, 7, 1, 0, 30, tzinfo=timezone(timedelta(hours=8)))) == date(2024, 7, 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        business_day(datetime(2024, 6, 30, 16, 30))


def test_in_a_utc_process_today_is_the_shanghai_date() -> None:
    script = (
        "import os, time; from datetime import UTC, date, datetime; from zoneinfo import ZoneInfo\n"
        "from xiaofei.domain.clock import business_day, business_today\n"
        "assert os.environ['TZ'] != 'UTC' or time.localtime().tm_gmtoff == 0, time.tzname\n"
        "assert business_day(datetime(2024, 6, 30, 16, 30, tzinfo=UTC)) == date(2024, 7, 1)\n"
        "assert datetime.fromtimestamp(datetime(2024, 6, 30, 16, 30, tzinfo=UTC).timestamp()).date() == "
        "date(2024, 6, 30)  # the process's own local date is still the 30th\n"
        "before = datetime.now(ZoneInfo('Asia/Shanghai')).date(); today = business_today()\n"
        "after = datetime.now(ZoneInfo('Asia/Shanghai')).date()\n"
        "assert before <= today <= after, (before, today, after)\n"
        "print(today.isoformat())\n")
    for tz in ("UTC", "America/Los_Angeles"):
        env = {**os.environ, "TZ": tz}
        done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}\n", done.stdout)


def test_no_server_code_asks_the_process_for_its_local_date() -> None:
    offenders = []
    for path in SRC.rglob("*.py"):
        if path.name == "clock.py":
            continue
        for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if re.search(r"date\.today\(|datetime\.now\(\)|datetime\.today\(|datetime\.utcnow\(|time\.localtime\(",
                         text):
                offenders.append(f"{path.relative_to(SRC)}:{n}: {text.strip()}")
    assert offenders == [], "use xiaofei.domain.clock (Asia/Shanghai):\n" + "\n".join(offenders)


def _claim(filed_on: date) -> Claim:
    """A claim filed on ``filed_on`` whose review the county has started and finished."""
    claim = _filed(filed_on)
    claim.start_review(filed_on, "token:official")
    claim.finish_review(filed_on, "token:official")
    return claim


def _filed(filed_on: date) -> Claim:
    line = ClaimLine(line_no=1, slip_id=UUID(int=9), subsidy="worker_wage", payee="employer",
                     workshop_id=UUID(int=5), month="2024-05", slip_version=1, entitled_fen=12000,
                     previously_claimed_fen=0, amount_fen=12000, kind="entitlement", adjusts_claim=None,
                     explanation={})
    return Claim(organisation="ORG", county="360724", period_from="2024-05", period_to="2024-05", lines=[line],
                 actor="token:employer", filed_on=filed_on, initiated_by="employer")


def test_a_notice_dated_today_in_beijing_is_accepted_at_half_past_midnight() -> None:
    today = business_today(HALF_PAST_MIDNIGHT_IN_BEIJING)
    claim = _claim(filed_on=today)
    claim.publish_notice(date(2024, 7, 1), today, 7, "token:official")
    assert claim.notice_ends == date(2024, 7, 8)


def test_a_notice_is_not_dated_before_filing_or_in_the_future_and_approval_waits_for_it() -> None:
    claim = _claim(filed_on=date(2026, 11, 22))
    today = date(2026, 11, 23)
    with pytest.raises(InvalidInput, match="before the claim was filed on 2026-11-22"):
        claim.publish_notice(date(2024, 1, 1), today, 7, "token:official")
    with pytest.raises(InvalidInput, match="future"):
        claim.publish_notice(date(2026, 11, 24), today, 7, "token:official")
    claim.publish_notice(date(2026, 11, 22), today, 7, "token:official")
    with pytest.raises(InvalidInput, match="runs through 2026-11-29"):
        claim.approve(date(2024, 1, 8), today, "token:official")
    with pytest.raises(InvalidInput, match="future"):
        claim.approve(date(2026, 11, 29), today, "token:official")
    number = claim.lodge_objection("not on site", date(2026, 11, 23), today, "token:official")
    later = date(2026, 11, 30)
    with pytest.raises(Conflict, match="resolve every objection before approval"):
        claim.approve(later, later, "token:official")
    claim.resolve_objection(number, "checked: on site", later, "token:official")
    with pytest.raises(InvalidInput, match="the earliest is 2026-11-30"):  # D+7 still takes objections
        claim.approve(date(2026, 11, 29), later, "token:official")
    claim.approve(date(2026, 11, 30), later, "token:official")
    with pytest.raises(Conflict, match="approved"):
        claim.reject_line(1, "too late for review", "token:official")
    with pytest.raises(InvalidInput, match="before the approval on 2026-11-30"):
        claim.pay(date(2026, 11, 29), later, {"employer": "P-1"}, "token:official")
    claim.pay(date(2026, 11, 30), later, {"employer": "P-1"}, "token:official")
    assert claim.status == "paid"


def test_objections_are_lodged_within_the_notice_only() -> None:
    claim = _claim(filed_on=date(2026, 11, 22))
    claim.publish_notice(date(2026, 11, 22), date(2026, 11, 22), 7, "token:official")
    today = date(2026, 12, 10)
    with pytest.raises(InvalidInput, match="the notice ended on 2026-11-29"):
        claim.lodge_objection("late", date(2026, 11, 30), today, "token:official")
    with pytest.raises(InvalidInput, match="published on 2026-11-22"):
        claim.lodge_objection("early", date(2026, 11, 21), today, "token:official")
    assert claim.lodge_objection("in time", date(2026, 11, 29), today, "token:official") == 1
    claim.reject_line(1, "objection 1 upheld: the worker was not on site", "token:official")  # during the notice
    assert claim.payable() == {}


def test_the_review_is_explicit_started_then_finished_before_the_notice() -> None:
    claim = _filed(date(2026, 11, 22))
    today = date(2026, 11, 23)
    with pytest.raises(Conflict, match="the claim is filed; this needs it in_review or in_notice"):
        claim.reject_line(1, "no review yet", "token:official")
    with pytest.raises(Conflict, match="the claim is filed; this needs it reviewed"):
        claim.publish_notice(today, today, 7, "token:official")
    claim.start_review(today, "token:official")
    with pytest.raises(Conflict, match="in_review; this needs it filed"):
        claim.start_review(today, "token:official")
    claim.reject_line(1, "slip not on file", "token:official")
    with pytest.raises(Conflict, match="in_review; this needs it reviewed"):
        claim.publish_notice(today, today, 7, "token:official")
    claim.finish_review(today, "token:official")
    with pytest.raises(Conflict, match="reviewed; this needs it in_review or in_notice"):
        claim.reject_line(1, "after the review", "token:official")
    claim.publish_notice(today, today, 7, "token:official")
    assert claim.status == "in_notice"

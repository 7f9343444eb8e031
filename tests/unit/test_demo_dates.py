"""The demo's dates (issue 26 §1): whatever day it is loaded, its wage slips end with the current month, none is
paid in the future, and the months a paid claim covers are over before it is filed."""

from __future__ import annotations

from datetime import date, timedelta

from xiaofei.demo import SLIP_MONTHS, demo_months, pay_day, township_name, village_name


def test_the_slip_months_end_with_todays_month_and_are_never_paid_in_the_future() -> None:
    assert demo_months(date(2027, 1, 3)) == ["2026-08", "2026-09", "2026-10", "2026-11", "2026-12", "2027-01"]
    assert demo_months(date(2026, 12, 7)) == ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12"]
    assert pay_day("2027-01", date(2027, 1, 3)) == date(2027, 1, 3)
    assert pay_day("2026-12", date(2027, 1, 3)) == date(2026, 12, 28)
    day = date(2027, 1, 1)
    while day.year == 2027:  # every day of a year: the current year has slips, and the claim has months to cover
        months = demo_months(day)
        assert len(months) == SLIP_MONTHS and months[-1] == f"{day:%Y-%m}" and months == sorted(months)
        assert all(pay_day(m, day) <= day and pay_day(m, day).strftime("%Y-%m") == m for m in months)
        filed_on = day - timedelta(days=7 + 1)  # claim.notice_days 7: approved on filed_on + 8 = today
        assert [m for m in months if m < f"{filed_on:%Y-%m}"][-3:], day
        day += timedelta(days=1)


def test_the_demo_townships_and_villages_have_names() -> None:
    assert township_name("360724100") == "东山镇" and township_name("360724113") == "五指峰乡"
    assert village_name("360724100001") == "东上营村" and village_name("360724103018") == "营金盆村"

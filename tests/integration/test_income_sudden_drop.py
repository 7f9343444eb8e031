"""The sudden-drop check (收入骤减) compares the latest three whole months of the year that have closed with the same
months a year earlier. "Today" is the projection's own: the business date (Asia/Shanghai) of the latest event it
applied, so the rows are a function of the log (a rebuild, any batching and an as-of read agree), and a month that
closes moves every household's window, whoever the event that brought the new month concerns."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone

import eventsourcing.domain
import pytest

from tests.helpers import households_csv
from tests.income_given import given_linkage_payments
from tests.integration.test_batch_independence import _events, database_of_its_own, project_in_batches, tables
from tests.integration.test_projections import snapshot, wait_caught_up
from xiaofei.bootstrap import Services
from xiaofei.domain.consumption.linkage import LinkagePayment
from xiaofei.projectors.income import IncomeProjection
from xiaofei.rules.income import closed_through, drop_window

BEIJING = timezone(timedelta(hours=8))
COUNTY = "360724"


def test_the_window_is_the_latest_three_closed_months_of_the_year() -> None:
    assert closed_through(date(2026, 12, 8)) == "2026-11"
    assert closed_through(date(2026, 1, 1)) == "2025-12"
    assert drop_window(2026, "2026-11") == ["2026-09", "2026-10", "2026-11"]  # December is still open
    assert drop_window(2026, "2026-02") == ["2025-12", "2026-01", "2026-02"]
    assert drop_window(2025, "2026-11") == ["2025-10", "2025-11", "2025-12"]  # the year is over
    assert drop_window(2026, "2025-12") == []  # in January no month of the year has closed: nothing to compare
    assert drop_window(2027, "2026-11") == []
    assert drop_window(2026, None) == []


def _rent(reference: str, payee: str, amount: int, on: date) -> LinkagePayment:
    return LinkagePayment(kind="land_rent", payee=payee, amount_fen=amount, paid_on=on, reference=reference)


def _history_at(clock: list[datetime]) -> Callable[[Services], None]:
    """Household 0 paid 1,000元 a month in March–May 2025 and in March–April 2026, recorded on 20 May 2026;
    household 1 paid 50元 on 2 June 2026, recorded that day (events stamped by ``clock[0]``)."""
    def build(s: Services) -> None:
        clock[0] = datetime(2026, 5, 20, 9, 0, tzinfo=BEIJING)
        s.registry.register_county(COUNTY, "上犹县", "江西省", "test")
        s.importer.run(COUNTY, "h.csv", households_csv(COUNTY, 2), "test")
        first = f"{COUNTY}H0000000"
        given_linkage_payments(s, f"93{COUNTY}SELLER0001", COUNTY, [
            *(_rent(f"R25-{m}", first, 100_000, date(2025, m, 10)) for m in (3, 4, 5)),
            *(_rent(f"R26-{m}", first, 100_000, date(2026, m, 10)) for m in (3, 4))])
        wait_caught_up(s, "income", timeout=60)
        assert _drop(s, first) is None  # 20 May: February–April compared, 2,000 against 2,000
        clock[0] = datetime(2026, 6, 2, 0, 30, tzinfo=BEIJING)  # 1 June 16:30 UTC: already June in Beijing
        given_linkage_payments(s, f"93{COUNTY}SELLER0002", COUNTY, [
            _rent("OTHER-6", f"{COUNTY}H0000001", 5_000, date(2026, 6, 2))])
    return build


def _drop(s: Services, number: str) -> dict | None:
    with s.params.connect() as conn:
        row = conn.execute("SELECT evidence FROM rm_income.flags WHERE county = %s AND household_number = %s"
                           " AND year = 2026 AND flag = 'sudden_drop'", (COUNTY, number)).fetchone()
    return row[0] if row else None


def test_a_month_that_closes_moves_every_households_window(
        pg_server: str, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Given the history above: on 20 May 2026 household 0 compares February–April (2,000 against 2,000元, no
    drop). When an event of June (another household's payment) closes May, then household 0 compares March–May:
    2,000 against 3,000元, down 33% ≥ 30%, flagged, with the closed months and the day judged in the evidence; and
    projecting the same events one at a time or all at once gives the same rows."""
    clock = [datetime.now(BEIJING)]
    monkeypatch.setattr(eventsourcing.domain, "datetime_now_with_tzinfo", lambda: clock[0])
    with database_of_its_own(pg_server, tmp_path_factory, _history_at(clock), "income") as s:
        evidence = _drop(s, f"{COUNTY}H0000000")
        assert evidence is not None
        assert (evidence["months"], evidence["closed_through"], evidence["judged_on"]) == (
            ["2026-03", "2026-04", "2026-05"], "2026-05", "2026-06-02")
        assert (evidence["recent_fen"], evidence["earlier_fen"]) == (200_000, 300_000)
        names = tables(s, "rm_income")
        live = snapshot(s, "rm_income", names)
        events = _events(s)
        for sizes in ([1] * len(events), [len(events)]):
            rows = project_in_batches(s, IncomeProjection, events, sizes, "rm_income_drop_check")
            derived = ("income_lines", "household_months", "household_years", "flags")
            assert {t: rows[t] for t in derived} == {t: live[t] for t in derived}, sizes

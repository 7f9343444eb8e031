"""The sudden-drop check (收入骤减) compares the county's latest three reported months with the same months a year
earlier, and moves with the county's reporting frontier (the latest month of its payrolls or linkage payments)."""

from __future__ import annotations

from datetime import date

from eventsourcing.application import AggregateNotFoundError

from tests.helpers import households_csv
from tests.income_given import given_linkage_payments
from tests.integration.test_projections import wait_caught_up
from xiaofei.bootstrap import Services
from xiaofei.domain.consumption.linkage import LinkageLedger, LinkagePayment
from xiaofei.rules.income import drop_window


def test_the_window_is_the_last_three_reported_months_of_the_year() -> None:
    assert drop_window(2026, "2026-05") == ["2026-03", "2026-04", "2026-05"]
    assert drop_window(2026, "2026-02") == ["2025-12", "2026-01", "2026-02"]
    assert drop_window(2025, "2026-05") == ["2025-10", "2025-11", "2025-12"]  # the year is over
    assert drop_window(2025, None) == ["2025-10", "2025-11", "2025-12"]
    assert drop_window(2027, "2026-05") == []  # not reported yet: nothing to compare


def _pay(services: Services, county: str, reference: str, payee: str, amount: int, on: date) -> None:
    """A land rent (土地流转租金) the county's cooperative pays a household."""
    payment = LinkagePayment(kind="land_rent", payee=payee, amount_fen=amount, paid_on=on, reference=reference)
    seller = f"93{county}SELLER0001"
    try:
        ledger = services.app.repository.get(LinkageLedger.create_id(seller))
    except AggregateNotFoundError:
        given_linkage_payments(services, seller, county, [payment])
        return
    ledger.record_payment(payment, "test")
    services.app.record(ledger)


def _drop(services: Services, county: str, number: str, year: int) -> dict | None:
    wait_caught_up(services, "income", timeout=60)
    with services.params.connect() as conn:
        row = conn.execute("SELECT evidence FROM rm_income.flags WHERE county = %s AND household_number = %s"
                           " AND year = %s AND flag = 'sudden_drop'", (county, number, year)).fetchone()
    return row[0] if row else None


def test_a_new_reported_month_moves_every_households_window(services: Services, county_code: str) -> None:
    """Given a household paid 1,000元 a month in March–May 2025 and 300元 in March–May 2026, with May 2026 the
    county's latest month: flagged, comparing March–May. When the county reports June 2026 (a payment to another
    household), the window becomes April–June: June 2026 brought this household nothing against 1,000元 in June
    2025, so it stays flagged, now on April–June; once its June payment of 1,000元 arrives, the drop is 43%
    (1,600 vs 3,000) against a 30% threshold — still flagged — and a June payment of 2,000元 ends the flag."""
    services.importer.run(county_code, "h.csv", households_csv(county_code, 2), "test")
    first, other = f"{county_code}H0000000", f"{county_code}H0000001"
    for month in (3, 4, 5, 6):
        _pay(services, county_code, f"R25-{month}", first, 100_000, date(2025, month, 10))
    for month in (3, 4, 5):
        _pay(services, county_code, f"R26-{month}", first, 30_000, date(2026, month, 10))
    evidence = _drop(services, county_code, first, 2026)
    assert evidence is not None and evidence["months"] == ["2026-03", "2026-04", "2026-05"]
    assert (evidence["recent_fen"], evidence["earlier_fen"], evidence["reporting_frontier"]) == (
        90_000, 300_000, "2026-05")

    _pay(services, county_code, "OTHER-6", other, 5_000, date(2026, 6, 2))  # the county reaches June
    evidence = _drop(services, county_code, first, 2026)
    assert evidence is not None and evidence["months"] == ["2026-04", "2026-05", "2026-06"]
    assert (evidence["recent_fen"], evidence["earlier_fen"]) == (60_000, 300_000)

    _pay(services, county_code, "R26-6", first, 100_000, date(2026, 6, 10))
    evidence = _drop(services, county_code, first, 2026)
    assert evidence is not None and (evidence["recent_fen"], evidence["earlier_fen"]) == (160_000, 300_000)
    _pay(services, county_code, "R26-6b", first, 100_000, date(2026, 6, 20))
    assert _drop(services, county_code, first, 2026) is None  # 2,600 vs 3,000: down 13%

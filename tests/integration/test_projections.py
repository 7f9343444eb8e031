"""Projection guarantees on a real PostgreSQL: batching, exactly-once across crashes, identical rebuilds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date
from typing import Any

import psycopg
import psycopg.sql
import pytest

from tests.helpers import households_csv, id_number
from xiaofei.application.registry import MemberInput
from xiaofei.bootstrap import Services
from xiaofei.projectors.base import Projector, live_schema, rebuild
from xiaofei.projectors.registry import RegistryProjection

TABLES = ("households", "members", "category_history", "other_income", "village_category_counts", "counties",
          "household_imports")


def snapshot(services: Services, schema: str = "rm_registry",
             tables: tuple[str, ...] = TABLES) -> dict[str, list[tuple[object, ...]]]:
    """Every row of a projection's tables, in a stable order, for comparing two builds."""
    with services.params.connect() as conn:
        return {t: sorted(conn.execute(f"SELECT * FROM {schema}.{t}").fetchall(), key=repr) for t in tables}


def fresh_schema(services: Services, schema: str) -> str:
    with services.params.connect(autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    return schema


def wait_caught_up(services: Services, name: str = "registry", timeout: float = 30) -> None:
    target = services.app.head_position()
    deadline = time.monotonic() + timeout
    with services.params.connect(autocommit=True) as conn:
        while True:
            row = conn.execute(f"SELECT notification_id FROM {live_schema(name)}.tracking "
                               "WHERE application_name = 'xiaofei'").fetchone()
            if row and row[0] >= target:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{name} stuck at {row} < {target}")
            time.sleep(0.02)


def import_some(services: Services, county: str, count: int, start: int = 0) -> None:
    services.importer.run(county, f"{county}-{start}.csv", households_csv(county, count, start=start), "test")


def test_a_rebuild_produces_identical_rows_and_swaps_while_readers_read(services: Services, county_code: str) -> None:
    import_some(services, county_code, 300)
    services.registry.change_category(county_code, f"{county_code}H0000001", "monitored", "edge_at_risk",
                                      date(2025, 1, 1), "identified", "", "test")
    wait_caught_up(services)
    before = snapshot(services)

    stop = threading.Event()
    reads: list[int] = []
    failures: list[BaseException] = []

    def reader() -> None:
        with services.params.connect(autocommit=True) as conn:
            while not stop.is_set():
                try:
                    reads.append(conn.execute("SELECT count(*) FROM rm_registry.households").fetchone()[0])
                except BaseException as e:  # noqa: BLE001 - the test reports it
                    failures.append(e)
                    return

    t = threading.Thread(target=reader)
    t.start()
    try:
        applied = rebuild(services.app, RegistryProjection, services.params, batch_size=250)
    finally:
        stop.set()
        t.join()
    with services.params.connect() as conn:
        stored = conn.execute("SELECT count(*) FROM xiaofei_events").fetchone()[0]
        tracked = conn.execute("SELECT notification_id FROM rm_registry.tracking WHERE application_name = %s", ("xiaofei",)).fetchone()[0]
    assert applied == stored  # every stored event, once (ids may have gaps from rolled-back inserts)
    assert tracked == services.app.head_position()
    assert not failures, failures
    assert reads and min(reads) == max(reads)  # readers never saw an empty or partial model
    assert snapshot(services) == before
    # the live projector follows the swapped-in tables
    import_some(services, county_code, 10, start=1000)
    wait_caught_up(services)
    assert len(snapshot(services)["households"]) == len(before["households"]) + 10


def test_a_crash_in_the_middle_of_a_batch_double_counts_nothing(services: Services, county_code: str) -> None:
    schema = fresh_schema(services, "rm_crashtest")
    import_some(services, county_code, 200)

    class CrashingMidBatch(RegistryProjection):
        """Writes the rows of the first 120 events of a batch, then dies."""

        name = "registry"
        crash = False

        def apply(self, cur, events):  # type: ignore[no-untyped-def]
            if type(self).crash:
                super().apply(cur, events[:120])
                raise RuntimeError("simulated projector crash in the middle of a batch")
            super().apply(cur, events)

    crashing = Projector(services.app, CrashingMidBatch, services.params, batch_size=500, schema=schema)
    try:
        crashing.setup()
        crashing.run_batch()  # one good batch first
        CrashingMidBatch.crash = True
        with pytest.raises(RuntimeError, match="simulated"):
            crashing.run_batch()
        CrashingMidBatch.crash = False
        crashing.run_until_idle()
    finally:
        crashing.close()
    wait_caught_up(services)
    assert snapshot(services, schema) == snapshot(services)


def test_killing_the_projector_process_and_restarting_double_counts_nothing(
        services: Services, county_code: str, database_dsn: str) -> None:
    schema = fresh_schema(services, "rm_killtest")
    import_some(services, county_code, 3000)
    script = (
        "import sys\n"
        "from xiaofei.application.app import XiaofeiApplication\n"
        "from xiaofei.database import Database\n"
        "from xiaofei.projectors.base import ConnectionParams, Projector\n"
        "from xiaofei.projectors.registry import RegistryProjection\n"
        f"env = Database(dsn={database_dsn!r}).eventsourcing_env()\n"
        "app = XiaofeiApplication(env=env)\n"
        f"p = Projector(app, RegistryProjection, ConnectionParams.from_env(env), batch_size=50, schema={schema!r})\n"
        "p.setup()\n"
        "while p.run_batch():\n"
        "    print('batch', flush=True)\n"
    )
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        for _ in range(3):  # let it commit a few batches, then kill it in the middle of the next ones
            assert proc.stdout.readline().strip() == "batch"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    with services.params.connect() as conn:
        row = conn.execute(f"SELECT notification_id FROM {schema}.tracking WHERE application_name='xiaofei'").fetchone()
    partial = row[0] if row else 0
    assert partial < services.app.head_position(), "the kill came too late to interrupt anything"
    resumed = Projector(services.app, RegistryProjection, services.params, batch_size=500, schema=schema)
    try:
        resumed.run_until_idle()
    finally:
        resumed.close()
    wait_caught_up(services)
    assert snapshot(services, schema) == snapshot(services)


def test_catch_up_uses_one_transaction_per_batch(services: Services, county_code: str) -> None:
    schema = fresh_schema(services, "rm_batchtest")
    import_some(services, county_code, 100)
    projector = Projector(services.app, RegistryProjection, services.params, batch_size=1000, schema=schema)
    try:
        projector.setup()
        head = services.app.head_position()
        with services.params.connect() as conn:  # positions may have gaps (a transaction that lost a race)
            events = conn.execute(psycopg.sql.SQL("SELECT count(*) FROM {} WHERE notification_id <= %s").format(
                services.app.events_table), (head,)).fetchone()[0]  # type: ignore[index]
        batches = 0
        while projector.run_batch():
            batches += 1
        assert batches == -(-events // 1000)
        assert projector.position() == head
    finally:
        projector.close()


def test_two_concurrent_writers_to_one_household_lose_no_update(services: Services, county_code: str) -> None:
    import_some(services, county_code, 1)
    number = f"{county_code}H0000000"
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def add(i: int) -> None:
        member = MemberInput(f"C{i}", f"孩子{i}", id_number(county_code, 500 + i, born="20100101"), "child", "none")
        barrier.wait()
        try:
            services.registry.add_member(county_code, number, member, date(2024, 1, 1), "birth", f"writer-{i}")
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=add, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    from xiaofei.domain.ids import household_id

    household = services.app.repository.get(household_id(county_code, number))
    assert {f"C{i}" for i in range(8)} <= set(household.members)
    wait_caught_up(services)
    with services.params.connect() as conn:
        count = conn.execute("SELECT member_count FROM rm_registry.households WHERE county=%s AND household_number=%s",
                             (county_code, number)).fetchone()[0]
    assert count == 2 + 8


def test_a_second_runner_waits_instead_of_double_applying(services: Services, county_code: str) -> None:
    import_some(services, county_code, 50)
    extra = Projector(services.app, RegistryProjection, services.params, batch_size=10)
    try:
        extra.run_until_idle()  # races the live projector on the same schema: the advisory lock serialises them
    finally:
        extra.close()
    wait_caught_up(services)
    with services.params.connect() as conn:
        n = conn.execute("SELECT sum(households) FROM rm_registry.village_category_counts WHERE county=%s",
                         (county_code,)).fetchone()[0]
    assert n == 50


def test_bulk_save_is_atomic(services: Services, county_code: str) -> None:
    """A file whose households collide with a concurrent registration writes none of them."""
    content = households_csv(county_code, 400)
    from xiaofei.application.importer import decode_csv, parse_households

    _, parsed, _ = parse_households(county_code, decode_csv(content))
    clash = services.registry.build_household(county_code, parsed[399].data, "api", "test")
    built = [services.registry.build_household(county_code, p.data, "import", "test") for p in parsed]
    services.app.record(clash)
    before = services.app.head_position()
    from eventsourcing.persistence import IntegrityError

    with pytest.raises(IntegrityError):
        services.app.record(*built)
    assert services.app.head_position() == before
    with psycopg.connect(services.database.dsn) as conn:
        assert conn.execute("SELECT count(*) FROM xiaofei_events WHERE originator_id = ANY(%s)",
                            ([h.id for h in built[:399]],)).fetchone()[0] == 0


def projection_tables(services: Services, schema: str) -> tuple[str, ...]:
    """Every table of a projection's schema but its batch bookkeeping (the tracking row; `changed_counties`, stamped
    by batch): a new table is compared without being listed."""
    with services.params.connect() as conn:
        rows = conn.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s"
                            " AND table_name NOT IN ('tracking', 'changed_counties') ORDER BY table_name",
                            (schema,)).fetchall()
    return tuple(r[0] for r in rows)


def employment_snapshot(services: Services, schema: str) -> dict[str, list[tuple[object, ...]]]:
    tables = projection_tables(services, schema)
    assert {"entitlements", "workshop_certifications", "flags", "claims"} <= set(tables)
    return snapshot(services, schema, tables)


def test_the_employment_projection_rebuilds_identically_whatever_the_batch_size(
        services: Services, county_code: str) -> None:
    from xiaofei.application.slips import SlipRow
    from xiaofei.domain.codes import uscc_check_char
    from xiaofei.projectors.employment import EmploymentProjection

    import_some(services, county_code, 12)
    services.policy.adopt_preset(county_code, "shangyou-2017", None, "test")
    first17 = f"91{county_code}MA{int(county_code) % 100000:05d}X0"[:17]
    org = first17 + uscc_check_char(first17)
    services.employment.register_organisation(county_code, org, "测试企业", "enterprise", "", "test")
    workshop, _ = services.employment.register_workshop(org, "车间", "factory", f"{county_code}100001", "", "test")
    workers = [id_number(county_code, h * 2, born="19700115") for h in range(12)]
    for w in workers:
        services.employment.hire(org, workshop, "工人", w, "labour_contract", date(2024, 1, 1), None, "monthly", "t")
    services.employment.certify(county_code, workshop, "P-1", date(2024, 2, 1), "test")
    rows = [SlipRow(i, workshop, m, w, 150000 + i, 150000 + i, 22, None, date.fromisoformat(f"{m}-28"), "bank",
                    f"{m}-{i}", "", "") for m in ("2024-01", "2024-02", "2024-03") for i, w in enumerate(workers)]
    services.employment.upload_slips(org, "rebuild-test-upload", b"x", rows, "test")
    statement = "date,amount_yuan,payee_name,reference\n" + "".join(
        f"{r.pay_date},{r.net_fen / 100:.2f},x,{r.bank_ref}\n" for r in rows[::2])
    services.employment.upload_statement(org, statement.encode(), "test")
    services.policy.record_parameter(county_code, "subsidy.worker_wage_rate", "0.25", date(2024, 3, 1), None,
                                     "test override", "transition", "test")
    wait_caught_up(services, "employment")
    schema = fresh_schema(services, "rm_employment_batchtest")
    small = Projector(services.app, EmploymentProjection, services.params, batch_size=7, schema=schema)
    try:
        small.setup()
        small.run_until_idle()
    finally:
        small.close()
    live = employment_snapshot(services, "rm_employment")
    assert sum(len(v) for v in live.values()) > 100
    assert employment_snapshot(services, schema) == live
    applied = rebuild(services.app, EmploymentProjection, services.params, batch_size=500)
    assert applied > 0
    assert employment_snapshot(services, "rm_employment") == live


def explained_lines(services: Services) -> list[tuple[str, bool, int, dict[str, Any]]]:
    """Every line with its explanation as a reader gets it: stored, or rendered from the line's facts."""
    from xiaofei.projectors.employment import explain
    from xiaofei.rules.parameters import ParameterVersion, scope_chain

    with services.params.connect() as conn:
        cur = conn.execute("SELECT * FROM rm_employment.entitlements")
        names = [c.name for c in cur.description or []]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        versions = {c: [ParameterVersion(*v) for v in conn.execute(
            "SELECT name, value, scope, effective_from, effective_to, source, era, seq FROM rm_employment.parameters"
            " WHERE scope = ANY(%s)", (scope_chain(c),)).fetchall()] for c in {r["county"] for r in rows}}
        rendered = explain.render_psycopg(conn, rows, versions, "rm_employment.")
    assert rendered, "wage lines are rendered, not stored"
    return [(r["subsidy"], r["eligible"], r["amount_fen"],
             r["explanation"] if r["explanation"] is not None else rendered[(r["slip_id"], r["subsidy"])])
            for r in rows]


def _reproduce(subsidy: str, eligible: bool, inputs: dict[str, object]) -> int:
    """An entitlement amount from the numbers its explanation gives, by the rule it names."""
    from decimal import ROUND_HALF_UP, Decimal

    def rate(r: object, amount: object) -> int:
        return int((Decimal(str(r)) * int(str(amount))).quantize(Decimal(1), ROUND_HALF_UP))

    if subsidy == "worker_wage":
        if not eligible:
            return 0
        amount = rate(inputs["rate"], inputs["gross_fen"])
        uncapped: dict[str, int] = inputs["worker_month_uncapped_fen"]  # type: ignore[assignment]
        if inputs["cap_fen"] is None or sum(uncapped.values()) <= int(str(inputs["cap_fen"])):
            return amount
        # the cap binds on the worker's month: this line's largest-remainder share of it
        cap, whole = int(str(inputs["cap_fen"])), sum(uncapped.values())
        floors = {k: cap * v // whole for k, v in uncapped.items()}
        extra = sorted(uncapped, key=lambda k: (-(cap * uncapped[k] % whole), k))[:cap - sum(floors.values())]
        mine = str(inputs["slip_id"])
        return floors[mine] + (mine in extra)
    if subsidy == "employer_match":
        return rate(inputs["ratio"], inputs["worker_subsidy_fen"])
    if subsidy == "hiring_award":
        room = int(str(inputs["cap_fen"])) - int(str(inputs["awarded_before_fen"]))
        return max(0, min(int(str(inputs["award_fen"])), room))
    if subsidy == "training":
        return int(str(inputs["per_trainee_fen"]))
    if subsidy == "rent_utilities":
        return rate(inputs["ratio"], inputs["costs_fen"]) if eligible else 0
    raise AssertionError(subsidy)


def test_every_entitlement_line_is_reproduced_by_its_explanation(services: Services, county_code: str) -> None:
    test_the_employment_projection_rebuilds_identically_whatever_the_batch_size(services, county_code)
    rows = explained_lines(services)
    assert len(rows) > 50
    for subsidy, eligible, amount, explanation in rows:
        assert explanation["amount_fen"] == amount
        assert _reproduce(subsidy, eligible, explanation["inputs"]) == amount, (subsidy, explanation)
        assert explanation["parameters"] and explanation["arithmetic"]


def test_a_failing_projector_reports_the_error_retries_and_recovers(services: Services, county_code: str) -> None:
    schema = fresh_schema(services, "rm_flaky")
    import_some(services, county_code, 5)

    class Flaky(RegistryProjection):
        name = "registry"
        broken = True

        def apply(self, cur, events):  # type: ignore[no-untyped-def]
            if type(self).broken:
                raise RuntimeError("database hiccup")
            super().apply(cur, events)

    projector = Projector(services.app, Flaky, services.params, batch_size=1000, schema=schema)
    projector.setup()
    stop = threading.Event()
    thread = threading.Thread(target=projector.run_forever, args=(stop, 0.1))
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while projector.last_error is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert projector.last_error == "RuntimeError: database hiccup"
        assert projector.position() == 0  # nothing half-applied
        Flaky.broken = False
        deadline = time.monotonic() + 10
        while projector.position() < services.app.head_position() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert projector.position() == services.app.head_position()
        assert projector.last_error is None and thread.is_alive()
    finally:
        stop.set()
        thread.join(10)
        projector.close()


def test_the_demo_county_loads_once_with_both_routes(services: Services, capsys: pytest.CaptureFixture[str]) -> None:
    import io

    from xiaofei.cli import load_demo

    progress = io.StringIO()  # not a terminal: one final line per step
    load_demo(services, progress_to=progress)
    first = capsys.readouterr().out
    assert "3000 registered" in first and "demo employer" in first and "demo consumption" in first
    assert "demo: checking households: 3,000 households in " in progress.getvalue()
    assert "\r" not in progress.getvalue()
    before = services.app.head_position()
    load_demo(services)
    assert "already loaded" in capsys.readouterr().out
    assert services.app.head_position() == before
    wait_caught_up(services, "employment")
    with services.params.connect() as conn:
        eligible, unverified = conn.execute(
            "SELECT count(*) FILTER (WHERE eligible), count(*) FILTER (WHERE NOT eligible AND 'bank_verified' = ANY(failed_checks))"
            " FROM rm_employment.entitlements WHERE county = '360724'"
            " AND subsidy = 'worker_wage'").fetchone()
    assert eligible > 300 and unverified > 0
    # the consumption story: counted sales in five months, pools split, a refund, flags, some share still owed
    wait_caught_up(services, "consumption")
    with services.params.connect() as conn:
        months, refunds, pools, flags = conn.execute(
            "SELECT (SELECT count(DISTINCT month) FROM rm_consumption.sales WHERE county = '360724' AND counted),"
            " (SELECT count(*) FROM rm_consumption.sales WHERE county = '360724' AND source = 'refund'),"
            " (SELECT count(*) FROM rm_consumption.pools WHERE county = '360724'),"
            " (SELECT array_agg(DISTINCT kind) FROM rm_consumption.flags WHERE county = '360724')"
        ).fetchone()
    assert months >= 5 and refunds == 1 and pools > 10
    assert {"sales_beyond_capacity", "price_outside_band"} <= set(flags)
    # the dashboard sums both routes per month, and its county rows equal the upstream read models' own sums
    wait_caught_up(services, "dashboard")
    with services.params.connect() as conn:
        row = conn.execute(
            "SELECT sum(sales_fen), sum(wages_fen), sum(subsidies_entitled_fen), count(*),"
            " (SELECT sum(amount_fen) FROM rm_consumption.sales WHERE county = '360724' AND counted),"
            " (SELECT sum(gross_fen) FROM rm_employment.slips WHERE county = '360724' AND NOT voided),"
            " (SELECT sum(amount_fen) FROM rm_employment.entitlements WHERE county = '360724' AND eligible),"
            " (SELECT count(*) FROM rm_dashboard.area_months WHERE county = '360724' AND area_level = 'village')"
            " FROM rm_dashboard.area_months WHERE county = '360724' AND area_level = 'county'").fetchone()
    with services.params.connect() as conn:
        halted = conn.execute("SELECT error FROM rm_dashboard.halted_partitions").fetchall()
    assert halted == []
    assert row[0] == row[4] > 0 and row[1] == row[5] > 0 and row[2] == row[6] > 0 and row[3] >= 5 and row[7] > 0


def test_a_huge_event_is_recorded_without_hanging(services: Services, county_code: str) -> None:
    """One 5,000-slip report is ~1.3 MB: the library's pipelined insert would hang; COPY takes it."""
    from uuid import uuid4

    from xiaofei.domain.codes import uscc_check_char
    from xiaofei.domain.employment import Payroll, Slip

    first17 = f"91{county_code}MA{int(county_code) % 100000:05d}H0"[:17]
    org = first17 + uscc_check_char(first17)
    services.employment.register_organisation(county_code, org, "大企业", "enterprise", "", "test")
    workshop, _ = services.employment.register_workshop(org, "大车间", "factory", f"{county_code}100001", "", "test")
    payroll = Payroll(workshop_id=workshop, organisation=org, county=county_code, month="2024-01")
    payroll.report([Slip(slip_id=uuid4(), employment_id=uuid4(), id_hash=f"{i:064d}", gross_fen=150000,
                         net_fen=150000, days_worked=22, pieces=None, pay_date=date(2024, 1, 28), method="bank",
                         bank_ref=f"REF-{i:06d}", payee_account="6217000000000000") for i in range(5000)],
                   uuid4(), "test")
    done: list[int] = []
    worker = threading.Thread(target=lambda: done.append(services.app.record(payroll)), daemon=True)
    worker.start()
    worker.join(timeout=60)
    assert done, "recording a large event hung"
    assert len(services.app.repository.get(payroll.id).slips) == 5000
    wait_caught_up(services, "employment")  # and the read side takes it too

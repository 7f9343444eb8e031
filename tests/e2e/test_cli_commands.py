"""The command line as a person runs it, in real subprocesses: a busy port, the embedded PostgreSQL's messages,
progress on long work."""

from __future__ import annotations

import os
import pty
import select
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from tests.conftest import TEST_SECRET

CLI = [sys.executable, "-m", "xiaofei.cli"]
HOUSEHOLDS = """县,村,户编号,人编号,姓名,身份证号,与户主关系,劳动技能,致贫原因,户类型,识别日期
421081,421081100001,4210810001,421081000101,王芳,421081197503120020,户主,普通劳动力,因病,脱贫户,2016-03-01
421081,421081100001,4210810001,421081000102,李强,421081197708050038,配偶,弱劳动力,因病,脱贫户,2016-03-01
"""


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XIAOFEI_")}
    return {**env, "XIAOFEI_SECRET_KEY": TEST_SECRET, **extra}


def test_a_second_serve_on_a_busy_port_stops_before_anything_starts(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        data = tmp_path / "data"
        started = time.monotonic()
        done = subprocess.run([*CLI, "serve", "--port", str(port)], env=_env(XIAOFEI_DATA_DIR=str(data)),
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}: address already in use" in done.stderr
    assert "--port" in done.stderr and "XIAOFEI_PORT" in done.stderr
    assert done.stdout == ""  # no banner, no admin token
    assert not data.exists()  # no embedded PostgreSQL, no key, no projectors: nothing was started
    assert time.monotonic() - started < 20


def _run(env: dict[str, str], *argv: str, tty: bool = False) -> tuple[int, str, str]:
    """Run the CLI; with ``tty`` its stderr is a terminal (a pseudo-terminal read here)."""
    if not tty:
        done = subprocess.run([*CLI, *argv], env=env, capture_output=True, text=True, timeout=300)
        return done.returncode, done.stdout, done.stderr
    leader, follower = pty.openpty()
    with subprocess.Popen([*CLI, *argv], env=env, stdout=subprocess.PIPE, stderr=follower, text=True) as proc:
        os.close(follower)
        chunks: list[bytes] = []
        while True:
            ready, _, _ = select.select([leader], [], [], 1)
            if ready:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                chunks.append(chunk)
            elif proc.poll() is not None:
                break
        out = proc.stdout.read() if proc.stdout else ""
        code = proc.wait(timeout=60)
    os.close(leader)
    return code, out, b"".join(chunks).decode()


def test_import_and_rebuild_report_progress(fresh_dsn: str, tmp_path: Path) -> None:
    env = _env(XIAOFEI_DATABASE_URL=fresh_dsn, XIAOFEI_DATA_DIR=str(tmp_path / "data"), XIAOFEI_LOG_LEVEL="WARNING")
    from xiaofei.bootstrap import build
    from xiaofei.config import load_settings
    from xiaofei.database import Database

    services = build(load_settings({}, database_url=fresh_dsn, secret_key=TEST_SECRET, data_dir=str(tmp_path)),
                     Database(dsn=fresh_dsn))
    try:
        services.registry.register_county("421081", "石首市", "湖北省", "test")
        with services.params.connect() as conn:
            # a write that rolled back leaves its log position unused (issue 26 §14: rebuild said 4,175 events on
            # stderr, the log's last position, and 4173 on stdout, the events it applied)
            events_table = services.app.events_table.as_string(conn)
            conn.execute(f"SELECT nextval(pg_get_serial_sequence('{events_table}', 'notification_id'))")
            conn.commit()
    finally:
        services.close()
    csv = tmp_path / "households.csv"
    csv.write_text(HOUSEHOLDS, encoding="utf-8")

    code, out, err = _run(env, "import", "households", str(csv), "--county", "421081", tty=True)
    assert code == 0, err
    assert "1 registered" in out
    # on a terminal: the line is drawn in place (carriage returns), with done/total, rate and ETA or final count
    assert "\rimporting households.csv: 1/1 households (100%)" in err
    assert "importing households.csv: 1 households in " in err and ", recorded" in err
    assert "projecting registry: " in err and " events in " in err

    # several projections at once, each with its own line, in the catalogue's order whatever the order given
    code, out, err = _run(env, "rebuild", "policy", "registry")
    assert code == 0, err
    assert out.index("rebuilt registry: ") < out.index("rebuilt policy: "), out
    with psycopg.connect(fresh_dsn) as conn:
        (events,), (head,) = (conn.execute(f"SELECT {f}(notification_id) FROM {events_table}").fetchone()
                              for f in ("count", "max"))
    assert head > events  # the gap
    # not a terminal: no redrawing, one final line with how many events took how long; stdout says the same count
    assert f"rebuilt registry: {events:,} events applied, swapped in" in out, out
    assert f"rebuilt policy: {events:,} events applied, swapped in" in out, out
    for name in ("registry", "policy"):
        lines = [line for line in err.splitlines() if line.startswith(f"rebuilding {name}: ")]
        assert "\r" not in err and len(lines) == 1, err
        assert lines[0].startswith(f"rebuilding {name}: {events:,} events in "), lines


def test_a_missing_file_or_an_unreachable_database_is_one_line_and_an_exit_status(tmp_path: Path) -> None:
    # given no such file (issue 26 §14: a Python traceback)
    data = tmp_path / "data"
    env = _env(XIAOFEI_DATA_DIR=str(data))
    code, out, err = _run(env, "import", "households", str(tmp_path / "missing.csv"), "--county", "421081")
    assert (code, out) == (1, ""), err
    assert err.splitlines() == [f"xiaofei import households: No such file or directory: {tmp_path / 'missing.csv'}"]
    assert not data.exists()  # nothing was started for it
    # given a database that does not answer
    env = _env(XIAOFEI_DATA_DIR=str(data), XIAOFEI_DATABASE_URL="postgresql://xiaofei@127.0.0.1:1/xiaofei")
    code, out, err = _run(env, "token", "create", "--role", "admin")
    assert (code, out) == (1, ""), err
    assert len(err.splitlines()) == 1 and err.startswith(
        "xiaofei token create: cannot reach the database (XIAOFEI_DATABASE_URL): "), err


def test_the_embedded_postgresql_talks_to_a_file_unless_asked(tmp_path: Path) -> None:
    quiet = tmp_path / "quiet"
    code, out, err = _run(_env(XIAOFEI_DATA_DIR=str(quiet)), "token", "create", "--role", "admin")
    assert code == 0, err
    assert out.startswith("xf_")
    assert "pgserver" not in err and "initdb" not in err
    messages = (quiet / "embedded-postgres.log").read_text(encoding="utf-8")
    assert "initdb" in messages and "pg_ctl" in messages
    assert (quiet / "pg" / "log").is_file()  # the server's own log, beside it

    loud = tmp_path / "loud"
    code, _, err = _run(_env(XIAOFEI_DATA_DIR=str(loud), XIAOFEI_EMBEDDED_PG_LOG="console"),
                        "token", "create", "--role", "admin")
    assert code == 0, err
    assert "initdb" in err and not (loud / "embedded-postgres.log").exists()

    code, _, err = _run(_env(XIAOFEI_DATA_DIR=str(loud), XIAOFEI_EMBEDDED_PG_LOG="loud"), "demo")
    assert code == 2 and "XIAOFEI_EMBEDDED_PG_LOG: expected one of file, console" in err


def test_demo_scale_loads_a_province_of_counties_once(fresh_dsn: str, tmp_path: Path) -> None:
    """Given an empty database, when ``xiaofei demo --scale tiny`` runs twice, then the first run loads both counties
    (households, workers with a quarter's wage slips proven by the bank, channel sales, orders) with progress and
    the projections caught up, and the second run adds nothing."""
    from xiaofei.demo_province import SCALES, county_codes

    env = _env(XIAOFEI_DATABASE_URL=fresh_dsn, XIAOFEI_DATA_DIR=str(tmp_path / "data"), XIAOFEI_LOG_LEVEL="WARNING")
    tiny = SCALES["tiny"]
    code, out, err = _run(env, "demo", "--scale", "tiny")
    assert code == 0, err
    assert (f"demo --scale tiny: 2 counties loaded (0 already there), {2 * tiny.households} households, "
            f"{2 * tiny.workers} workers, {tiny.slips} wage slips, {2 * tiny.channel_rows} channel sales, "
            f"{2 * tiny.orders} platform orders in ") in out, out
    assert "demo: loading counties: 2 counties in " in err and "projecting dashboard: " in err
    with psycopg.connect(fresh_dsn) as conn:
        counties = [c for c, _ in county_codes(tiny.counties)]
        row = conn.execute("SELECT count(*), count(*) FILTER (WHERE verified_version = version)"
                           " FROM rm_employment.slips").fetchone()
        assert row is not None and row[0] == tiny.slips and 0.85 * tiny.slips < row[1] < tiny.slips  # 5% unproven
        for county in counties:
            totals = conn.execute(
                "SELECT sum(sales_fen), sum(slips), sum(subsidies_entitled_fen), sum(households_reached)"
                " FROM rm_dashboard.area_months WHERE county = %s AND area_level = 'county'", (county,)).fetchone()
            assert totals is not None and all(v and v > 0 for v in totals), (county, totals)
    code, out, err = _run(env, "demo", "--scale", "tiny")
    assert code == 0, err
    assert "demo --scale tiny: 0 counties loaded (2 already there), 0 households" in out, out

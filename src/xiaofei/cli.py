"""``xiaofei serve | project | rebuild | projections failures|retry | import households | token create | demo |
events export | national publish|subscribe|unsubscribe|status``."""

from __future__ import annotations

import argparse
import errno
import logging
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from xiaofei import __version__, logs
from xiaofei.config import Settings, SettingsError, load_settings
from xiaofei.domain.errors import XiaofeiError
from xiaofei.progress import Progress

T = TypeVar("T")

log = logging.getLogger("xiaofei.cli")


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(host=getattr(args, "host", None), port=getattr(args, "port", None))


def _services(args: argparse.Namespace, settings: Settings | None = None):  # noqa: ANN202 - imported lazily
    from xiaofei.bootstrap import build

    settings = settings or _settings(args)
    logs.configure(settings.log_level)
    return build(settings)


class PortBusy(Exception):
    pass


def check_port_free(host: str, port: int) -> None:
    """Bind the address the way uvicorn will (SO_REUSEADDR) and let it go: a port another server listens on is
    refused here, before anything starts, rather than after the banner, the admin token and the projectors."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as e:
            reason = "address already in use" if e.errno == errno.EADDRINUSE else e.strerror or str(e)
            raise PortBusy(f"cannot listen on {host}:{port}: {reason}") from None


def _print_first_admin(services) -> None:  # noqa: ANN001
    issued = services.access.issue_first_admin()
    if issued is not None:
        print("=" * 72, flush=True)
        print("First start: an admin token was created. It is shown ONCE; keep it safe:", flush=True)
        print(f"  {issued.secret}", flush=True)
        print("=" * 72, flush=True)


def load_demo(services, progress_to=None) -> None:  # noqa: ANN001
    """Register the demo county, import its households, and issue a demo official token. With ``progress_to``
    (a stream), the household import and the catch-up of the projections report their progress there."""
    from xiaofei.demo import COUNTY, COUNTY_NAME, PROVINCE, demo_csv, load_employment_demo, set_monitoring_lines
    from xiaofei.domain.errors import AlreadyExists

    try:
        services.registry.register_county(COUNTY, COUNTY_NAME, PROVINCE, "system:demo")
    except AlreadyExists:
        pass
    bar = Progress("demo: checking households", unit="households", stream=progress_to) if progress_to else None
    result = services.importer.run(COUNTY, "demo-上犹县.csv", demo_csv(), "system:demo",
                                   progress=bar.update if bar else None)
    if bar and not result.already_imported:
        bar.finish()
    print(f"demo county {COUNTY} {COUNTY_NAME}: {result.households} households "
          f"({'already loaded' if result.already_imported else f'{result.registered} registered'})", flush=True)
    if not result.already_imported:
        issued = services.access.issue("county_official", [COUNTY], None, "demo official", "system:demo")
        print(f"demo county_official token for {COUNTY} (shown once): {issued.secret}", flush=True)
        employer = load_employment_demo(services, progress_to=progress_to)
        issued = services.access.issue("employer", [], employer, "demo employer", "system:demo")
        print(f"demo employer {employer}: 8 workshops, 6 months of wage slips to this month, a claim paid; "
              f"token (shown once): {issued.secret}",
              flush=True)
        from xiaofei.demo_consumption import load_consumption_demo

        keys = load_consumption_demo(services)
        set_monitoring_lines(services, services.claims.today())
        seller = services.access.issue("seller", [], keys["seller"], "demo seller", "system:demo")
        buyer = services.access.issue("buyer", [], keys["budget_unit"], "demo budget unit", "system:demo")
        print(f"demo consumption: 3 certified sellers, 6 products, 3 budget units, 5 months of channel sales; "
              f"seller {keys['seller']} token (shown once): {seller.secret}; budget unit {keys['budget_unit']} "
              f"token (shown once): {buyer.secret}", flush=True)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from xiaofei.http.app import create_app, uvicorn_options

    settings = _settings(args)
    try:
        check_port_free(settings.host, settings.port)
    except PortBusy as e:
        print(f"xiaofei serve: {e}. Is another xiaofei serve running? Stop it, or choose another port "
              f"(--port N or XIAOFEI_PORT=N).", file=sys.stderr)
        return 1
    services = _services(args, settings)
    supervisor_stop = threading.Event()
    threading.Thread(target=services.database.supervise, args=(supervisor_stop,), name="pg-supervisor",
                     daemon=True).start()
    try:
        _print_first_admin(services)
        if args.demo:
            load_demo(services, progress_to=sys.stderr)
        if services.settings.run_projectors:
            services.start_projectors()
        settings = services.settings
        print(f"xiaofei on http://{settings.host}:{settings.port}  (API docs: /schema)", flush=True)
        if settings.workers > 1:
            # Worker processes build their own services from the same settings (and join the same database).
            uvicorn.run("xiaofei.http.app:worker_app", factory=True, workers=settings.workers,
                        **uvicorn_options(settings))
        else:
            uvicorn.run(create_app(services), **uvicorn_options(settings))
    finally:
        supervisor_stop.set()
        services.close()
    return 0


def cmd_project(args: argparse.Namespace) -> int:
    services = _services(args)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        services.start_projectors()
        print("projectors running; Ctrl-C to stop", flush=True)
        while not stop.wait(1.0):
            if not services.projectors_alive():
                log.error("a projector thread stopped")
                return 1
    except KeyboardInterrupt:
        pass
    finally:
        services.close()
    return 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    """Rebuild each named projection in turn (``all``: every one, a derived one after those it reads), each with
    its own progress line: events done out of the log's, rate and ETA."""
    from xiaofei.projectors.base import rebuild
    from xiaofei.projectors.catalog import PROJECTIONS

    names = list(PROJECTIONS) if "all" in args.names else [n for n in PROJECTIONS if n in args.names]
    services = _services(args)
    try:
        app = services.app
        for name in names:
            # events, counted (not log positions: a rolled-back write leaves a gap), the same on stderr and stdout
            total = app.event_count()
            bar = Progress(f"rebuilding {name}", unit="events", total=total)
            applied = rebuild(app, PROJECTIONS[name], services.params,
                              batch_size=services.settings.projection_batch_size,
                              on_batch=lambda n, bar=bar, total=total: bar.update(n, max(n, total)))
            bar.update(applied, max(applied, total))
            bar.finish()
            print(f"rebuilt {name}: {applied:,} events applied, swapped in", flush=True)
    finally:
        services.close()
    return 0


def cmd_projections_failures(args: argparse.Namespace) -> int:
    """Every county whose part of a projection is halted, with the event and the error."""
    from xiaofei.projectors.catalog import PROJECTIONS

    services = _services(args)
    found = 0
    try:
        with services.params.connect() as conn:
            for name in PROJECTIONS:
                rows = conn.execute(
                    f"SELECT county, position, topic, error, (SELECT count(*) FROM rm_{name}.parked_events p"
                    f" WHERE p.county = h.county) FROM rm_{name}.halted_partitions h ORDER BY county").fetchall()
                for county, position, topic, error, parked in rows:
                    found += 1
                    print(f"{name}\tcounty {county}\tevent {position} ({topic})\t{parked} parked\t{error}")
    finally:
        services.close()
    if not found:
        print("no halted partitions")
    return 1 if found else 0


def cmd_projections_retry(args: argparse.Namespace) -> int:
    """Apply a halted county's parked events again, in log order (after the cause is fixed)."""
    services = _services(args)
    try:
        projector = services.projector(args.name)
        try:
            applied, error = projector.retry_partition(args.county)
        finally:
            projector.close()
    finally:
        services.close()
    if error is not None:
        print(f"{args.name} county {args.county}: {applied} parked events applied, then: {error}", file=sys.stderr)
        return 1
    print(f"{args.name} county {args.county}: {applied} parked events applied; the county is served again")
    return 0


def cmd_national_publish(args: argparse.Namespace) -> int:
    """On a province deployment: publish its dashboard figures for national reporting."""
    from psycopg.rows import dict_row

    from xiaofei.projectors.publication import PUBLICATION, publish

    services = _services(args)
    try:
        with services.params.connect(row_factory=dict_row) as conn, conn.cursor() as cur:
            try:
                tables = publish(cur, services.settings.province)
            except RuntimeError as e:
                print(f"refused: {e}", file=sys.stderr)
                return 2
            conn.commit()
    finally:
        services.close()
    print(f"publication {PUBLICATION}: {', '.join(tables)}")
    return 0


def _reporting(args: argparse.Namespace) -> str:
    url = _settings(args).national_reporting_url
    if not url:
        raise SettingsError("XIAOFEI_NATIONAL_REPORTING_URL: set it to the national reporting database's URL")
    return url


def _on_reporting(args: argparse.Namespace, action: Callable[[Any], T]) -> T:
    """``action`` on the reporting database (autocommit); a refusal is printed and the command exits 2."""
    import psycopg

    from xiaofei.national import NationalSetupError

    with psycopg.connect(_reporting(args), autocommit=True) as conn:
        try:
            return action(conn)
        except NationalSetupError as e:
            print(f"refused: {e}", file=sys.stderr)
            raise SystemExit(2) from None


def cmd_national_subscribe(args: argparse.Namespace) -> int:
    """On the national side: subscribe the reporting database to a province's publication."""
    from xiaofei.national import subscribe

    name = _on_reporting(args, lambda conn: subscribe(conn, args.province, args.source))
    print(f"subscription {name}: province {args.province} replicates into the reporting database")
    return 0


def cmd_national_unsubscribe(args: argparse.Namespace) -> int:
    """On the national side: stop receiving a province and remove its rows from the reporting database."""
    from xiaofei.national import unsubscribe

    removed = _on_reporting(args, lambda conn: unsubscribe(conn, args.province))
    print(f"province {args.province}: subscription dropped, {removed} rows removed from the reporting database")
    return 0


def cmd_national_status(args: argparse.Namespace) -> int:
    """Each province's subscription and how long since the reporting database heard from it."""
    import psycopg

    from xiaofei.national import REPLICATION_SQL

    with psycopg.connect(_reporting(args)) as conn:
        rows = conn.execute(REPLICATION_SQL).fetchall()
    for province, name, enabled, received, since, errors in rows:
        state = "enabled" if enabled else "disabled"
        heard = f"last message {received.isoformat()} ({since:.1f} s ago)" if received else "no message yet"
        print(f"province {province}\t{name}\t{state}\t{heard}\t{errors} errors")
    if not rows:
        print("no province subscribed")
    return 0


def cmd_import_households(args: argparse.Namespace) -> int:
    from xiaofei.domain.errors import InvalidInput, XiaofeiError

    content = Path(args.file).read_bytes()  # before anything starts: a missing file is one line (main)
    services = _services(args)
    try:
        bar = Progress(f"importing {Path(args.file).name}", unit="households")
        try:
            result = services.importer.run(args.county, Path(args.file).name, content, "cli:import",
                                           progress=bar.update)
        except InvalidInput as e:
            if bar.done:
                bar.finish(", refused")
            for p in e.problems:
                print(f"row {p.row if p.row is not None else '-'}: {p.field}: {p.reason}", file=sys.stderr)
            return 1
        except XiaofeiError as e:
            print(f"refused: {e.detail}", file=sys.stderr)
            return 1
        if not result.already_imported:
            bar.finish(", recorded")
        services.catch_up(progress_to=sys.stderr)
        print(f"{result.rows} rows, {result.households} households: {result.registered} registered, "
              f"{result.unchanged} unchanged{' (file already imported)' if result.already_imported else ''}")
    finally:
        services.close()
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    from xiaofei.domain.errors import XiaofeiError

    services = _services(args)
    try:
        try:
            issued = services.access.issue(args.role, args.county or [], args.organisation, args.label, "cli:token")
        except XiaofeiError as e:
            print(f"refused: {e.detail}", file=sys.stderr)
            return 2
        services.catch_up()
        print(issued.secret)
    finally:
        services.close()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    services = _services(args)
    try:
        if args.scale:
            from xiaofei.demo_province import SCALES, load_province

            scale = SCALES[args.scale]
            loaded = load_province(services, scale, progress_to=sys.stderr)
            print(f"demo --scale {args.scale}: {loaded.counties} counties loaded "
                  f"({scale.counties - loaded.counties} already there), {loaded.households} households, "
                  f"{loaded.workers} workers, {loaded.slips} wage slips, {loaded.channel_rows} channel sales, "
                  f"{loaded.orders} platform orders in {loaded.seconds:.0f} s", flush=True)
            started = time.monotonic()
            services.catch_up(progress_to=sys.stderr)
            print(f"projections caught up in {time.monotonic() - started:.0f} s", flush=True)
            return 0
        load_demo(services, progress_to=sys.stderr)
        services.catch_up(progress_to=sys.stderr)
    finally:
        services.close()
    return 0


def cmd_events_export(args: argparse.Namespace) -> int:
    from xiaofei.catalogue import export

    names = export(Path(args.dir))
    print(f"wrote {len(names)} files to {args.dir}")
    return 0


class _Help(argparse.RawDescriptionHelpFormatter):
    """Shows an option's default where it has a meaningful one."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if "%(default)" in text or default in (None, False, [], "", argparse.SUPPRESS) or not action.option_strings:
            return text
        return f"{text} (default: %(default)s)"


def parser() -> argparse.ArgumentParser:
    from xiaofei.domain.access import ROLES
    from xiaofei.projectors.catalog import PROJECTIONS

    defaults = Settings()
    names = ", ".join(PROJECTIONS)
    p = argparse.ArgumentParser(
        prog="xiaofei", formatter_class=_Help,
        description="Consumption (消费帮扶) and employment (就业帮扶) assistance bookkeeping.",
        epilog="Settings come from XIAOFEI_* environment variables (every one is listed in deploy/example.env); "
               "without XIAOFEI_DATABASE_URL an embedded PostgreSQL runs in XIAOFEI_DATA_DIR.")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}",
                   help="print the version and exit")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(parent: argparse._SubParsersAction, name: str, help: str) -> argparse.ArgumentParser:  # noqa: A002
        return parent.add_parser(name, help=help, description=help, formatter_class=_Help)

    s = command(sub, "serve", "run the HTTP API (and the projectors, unless XIAOFEI_RUN_PROJECTORS=false)")
    s.add_argument("--demo", action="store_true",
                   help="load the demo county (上犹县: households, workshops, wage slips) first")
    s.add_argument("--host", help=f"address to listen on (default: XIAOFEI_HOST, else {defaults.host})")
    s.add_argument("--port", type=int, help=f"port to listen on (default: XIAOFEI_PORT, else {defaults.port})")
    s.set_defaults(func=cmd_serve)

    command(sub, "project", "run the projectors alone (beside a serve with XIAOFEI_RUN_PROJECTORS=false)"
            ).set_defaults(func=cmd_project)

    r = command(sub, "rebuild", "rebuild projections into fresh tables and swap each in")
    r.add_argument("names", nargs="+", choices=[*PROJECTIONS, "all"], metavar="NAME",
                   help=f"the projections, rebuilt one after the other in this order whatever the order given: one of"
                        f" {names}; or all")
    r.set_defaults(func=cmd_rebuild)

    pr = command(sub, "projections", "projection partitions halted at an event they cannot apply")
    pr_sub = pr.add_subparsers(dest="what", required=True, metavar="WHAT")
    command(pr_sub, "failures", "list halted counties with the event and the error"
            ).set_defaults(func=cmd_projections_failures)
    rt = command(pr_sub, "retry", "apply a halted county's parked events again, in log order")
    rt.add_argument("name", choices=list(PROJECTIONS), metavar="NAME", help=f"the projection: one of {names}")
    rt.add_argument("--county", required=True, help="the halted county's code (6 digits, e.g. 360724)")
    rt.set_defaults(func=cmd_projections_retry)

    na = command(sub, "national", "national reporting by PostgreSQL logical replication (one database, every province)")
    na_sub = na.add_subparsers(dest="what", required=True, metavar="WHAT")
    command(na_sub, "publish", "on a province deployment: publish its dashboard figures and county list (needs "
                               "wal_level = logical)").set_defaults(func=cmd_national_publish)
    ns = command(na_sub, "subscribe", "on the national side: subscribe XIAOFEI_NATIONAL_REPORTING_URL to a "
                                      "province's publication")
    ns.add_argument("--province", required=True, help="the province's 2-digit code (e.g. 36)")
    ns.add_argument("--source", required=True,
                    help="the province database's URL as the reporting server reaches it "
                         "(postgresql://user:password@host:5432/xiaofei)")
    ns.set_defaults(func=cmd_national_subscribe)
    nu = command(na_sub, "unsubscribe", "on the national side: drop a province's subscription and its rows")
    nu.add_argument("--province", required=True, help="the province's 2-digit code (e.g. 36)")
    nu.set_defaults(func=cmd_national_unsubscribe)
    command(na_sub, "status", "each subscribed province, how long since its last message, and apply errors"
            ).set_defaults(func=cmd_national_status)

    imp = command(sub, "import", "bulk imports")
    imp_sub = imp.add_subparsers(dest="what", required=True, metavar="WHAT")
    ih = command(imp_sub, "households", "import households from the national system's CSV export (UTF-8 or GB18030)")
    ih.add_argument("file", help="the CSV file, one row per member")
    ih.add_argument("--county", required=True, help="the county's code (6 digits); it must be registered")
    ih.set_defaults(func=cmd_import_households)

    tok = command(sub, "token", "API tokens")
    tok_sub = tok.add_subparsers(dest="what", required=True, metavar="WHAT")
    tc = command(tok_sub, "create", "create a token and print its secret once (a lost admin token: "
                                    "`xiaofei token create --role admin`)")
    tc.add_argument("--role", required=True, choices=list(ROLES), metavar="ROLE",
                    help="one of " + "; ".join(f"{role} ({what})" for role, what in ROLES.items()))
    tc.add_argument("--county", action="append", metavar="CODE",
                    help="a county the token may touch (county_official, auditor); repeat for several")
    tc.add_argument("--organisation", metavar="CREDIT_CODE",
                    help="the organisation a seller, employer or buyer token acts for (统一社会信用代码)")
    tc.add_argument("--label", default="", help="a note saying whose token it is, recorded with it")
    tc.set_defaults(func=cmd_token_create)

    dm = command(sub, "demo", "load the demo county (上犹县: 3,000 households, an employer with 8 workshops, "
                              "6 months of wage slips), or with --scale a synthetic province-year")
    dm.add_argument("--scale", choices=["province", "small", "tiny"], default=None,
                    help="instead of the demo county: province = 50 counties, 100,000 households, 1,000,200 wage "
                         "slips, 200,000 sales; small = a tenth (5 counties); tiny = 2 counties (what tests load)")
    dm.set_defaults(func=cmd_demo)

    ev = command(sub, "events", "the event catalogue")
    ev_sub = ev.add_subparsers(dest="what", required=True, metavar="WHAT")
    ex = command(ev_sub, "export", "write one JSON Schema and one example per event type and version")
    ex.add_argument("--dir", default="events", help="the directory to write into")
    ex.set_defaults(func=cmd_events_export)
    return p


def _exit_on_sigterm(*_: object) -> None:
    # uvicorn re-raises the SIGTERM it caught after its graceful shutdown; the default action would kill
    # the process before ``finally`` blocks stop the projectors and the embedded PostgreSQL.
    raise SystemExit(0)


def _database_unreachable() -> tuple[type[BaseException], ...]:
    import psycopg  # only when an exception is being handled: ``--help`` does not load the driver

    return (psycopg.OperationalError,)


def _one_line(text: str) -> str:
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


def main(argv: list[str] | None = None) -> int:
    """Every error a person can meet is one line on stderr and an exit status, never a traceback: 2 for settings
    and refusals, 1 for a file that cannot be read or written and a database that cannot be reached."""
    args = parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    command = " ".join(w for w in (args.command, getattr(args, "what", None)) if w)
    try:
        return int(args.func(args))
    except SettingsError as e:
        print(f"configuration error: {e}", file=sys.stderr)
        return 2
    except XiaofeiError as e:  # a command refused (e.g. the demo county is not of XIAOFEI_PROVINCE)
        print(f"refused: {e.detail}", file=sys.stderr)
        return 2
    except OSError as e:  # a file named on the command line (or written by it) that cannot be used
        where = f": {e.filename}" if e.filename else ""
        print(f"xiaofei {command}: {e.strerror or e}{where}", file=sys.stderr)
        return 1
    except _database_unreachable() as e:
        print(f"xiaofei {command}: cannot reach the database (XIAOFEI_DATABASE_URL): {_one_line(str(e))}",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
